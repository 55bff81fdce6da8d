"""The profile as one PNG: each figure of the audience drawn against its reference band (matplotlib, Agg)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

from local.bands import (
    BANDS_BY_KEY,
    DEVICE_SHARE_BANDS,
    MINUTES_PER_PLAY_BANDS,
    PLAN_STREAM_LIMITS,
    Band,
)
from local.profile import PRIME_TIME_HOURS, TOP_HOURS_FRACTION, WEEKDAYS, WEEKEND, Figure, Profile, format_value

GOOD = "#2e7d32"
BAD = "#c62828"
BAND = "#a5d6a7"
BAR = "#5c6bc0"
MUTED = "#9e9e9e"
SCORE_CLIP = (-2.0, 3.0)
"""Scorecard x range, in band widths from the band's low end (the band is 0–1)."""
SUBTITLE_WIDTH = 58
"""Characters per line of a panel's subtitle."""


def render_png(profile: Profile, path: Path) -> Path:
    """Write the profile's chart to `path` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(25, 14), dpi=100, layout="constrained")
    grid = fig.add_gridspec(3, 4, width_ratios=(1, 1, 1, 1.1))
    days = profile.days
    span = f"{days[0]} – {days[-1]} ({len(days)} whole days)" if days else "no whole day"
    fails = sum(not f.ok for f in profile.figures)
    fig.suptitle(
        f"Audience profile of {profile.lake}: {profile.plays:,} plays, {profile.customers:,} customers, {span} — "
        f"{len(profile.figures) - fails} of {len(profile.figures)} figures inside their reference bands "
        "(green: band, red: outside)",
        fontsize=13,
    )
    _hours_histogram(fig.add_subplot(grid[0, 0]), profile)
    _device_share(fig.add_subplot(grid[0, 1]), profile)
    _minutes_per_play(fig.add_subplot(grid[0, 2]), profile)
    _completion(fig.add_subplot(grid[1, 0]), profile)
    _concentration(fig.add_subplot(grid[1, 1]), profile)
    _by_hour(fig.add_subplot(grid[1, 2]), profile)
    _by_weekday(fig.add_subplot(grid[2, 0]), profile)
    _concurrency(fig.add_subplot(grid[2, 1]), profile)
    _lifecycle(fig.add_subplot(grid[2, 2]), profile)
    _scorecard(fig.add_subplot(grid[:, 3]), profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def _verdict(figure: Figure) -> str:
    return f"{format_value(figure)} (band {figure.band.describe()})"


def _color(figure: Figure) -> str:
    return GOOD if figure.ok else BAD


def _title(ax, title: str, subtitle: str) -> None:
    """A bold title and, wrapped to the panel's width, what it shows against which band."""
    ax.set_title(title, fontsize=11, loc="left", fontweight="bold", pad=34)
    ax.text(0, 1.02, textwrap.fill(subtitle, SUBTITLE_WIDTH), transform=ax.transAxes, fontsize=9, va="bottom")


def _band_box(ax, x: float, band: Band, width: float = 0.8) -> None:
    """A band drawn as a green box behind bar `x`."""
    high = band.high if not math.isinf(band.high) else ax.get_ylim()[1]
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x - width / 2, band.low), width, max(high - band.low, 0.0), color=BAND, alpha=0.7, lw=0))
    if band.low == band.high:
        ax.plot([x - width / 2, x + width / 2], [band.low, band.low], color=GOOD, lw=3, zorder=3)


def _hours_histogram(ax, profile: Profile) -> None:
    import numpy as np

    fig_mean = profile.figure("hours_per_subscriber_day")
    fig_cv = profile.figure("hours_spread_cv")
    values = np.array(profile.hours_per_customer_day, dtype=float)
    positive = values[values > 0]
    band = fig_mean.band
    top = max(float(positive.max()) if positive.size else 10.0, band.high * 2)
    bins = np.geomspace(0.05, top * 1.05, 40)
    ax.axvspan(band.low, band.high, color=BAND, alpha=0.7, label=f"band of the mean {band.describe()}")
    if positive.size:
        ax.hist(positive, bins=bins, color=BAR, label="subscribers")
    if fig_mean.value:
        ax.axvline(fig_mean.value, color=_color(fig_mean), lw=2, label=f"mean {format_value(fig_mean)}")
    ax.set_xscale("log")
    ax.set_xlabel("mean hours per subscribed day (log scale)")
    ax.set_ylabel("subscribers")
    zero = int((values == 0).sum())
    _title(ax, "Hours per subscriber per day", f"mean {_verdict(fig_mean)}; spread CV {_verdict(fig_cv)}")
    ax.legend(fontsize=8, title=f"{zero} subscribers watched nothing", title_fontsize=8)


def _device_share(ax, profile: Profile) -> None:
    devices = list(DEVICE_SHARE_BANDS)
    figures = [profile.figure(DEVICE_SHARE_BANDS[d].key) for d in devices]
    # TV's share in two markets (devices.py: each household's screens follow its country): the mix differs.
    markets = (("TV\nN. Am.", "device_share_tv_north_america"), ("TV\nEurope", "device_share_tv_europe"))
    labels = devices + [label for label, _ in markets]
    figures += [profile.figure(key) for _, key in markets]
    ax.set_ylim(0, 100)
    for i, figure in enumerate(figures):
        x = i + (0.5 if i >= len(devices) else 0)
        _band_box(ax, x, figure.band)
        ax.bar(x, figure.value or 0, width=0.45, color=_color(figure), zorder=2)
        ax.text(x, (figure.value or 0) + 2, format_value(figure), ha="center", fontsize=9)
    ax.set_xticks([i + (0.5 if i >= len(devices) else 0) for i in range(len(labels))], labels)
    ax.set_ylabel("% of viewing time")
    per_household = profile.figure("devices_per_household")
    _title(
        ax,
        "Device share of viewing time; TV's by market",
        "bands: Conviva (TV 77 % globally, 83 % North America, 68 % Europe); devices per household "
        f"{_verdict(per_household)}",
    )


def _minutes_per_play(ax, profile: Profile) -> None:
    devices = list(profile.minutes_by_device) or list(DEVICE_SHARE_BANDS)
    devices = sorted(devices, key=lambda d: list(DEVICE_SHARE_BANDS).index(d) if d in DEVICE_SHARE_BANDS else 99)
    overall = profile.figure("minutes_per_play")
    top = max([*profile.minutes_by_device.values(), overall.band.high, 45.0]) * 1.15
    ax.set_ylim(0, top)
    ax.axhspan(
        overall.band.low, overall.band.high, color=BAND, alpha=0.35, label=f"all plays {overall.band.describe()}"
    )
    for i, device in enumerate(devices):
        value = profile.minutes_by_device.get(device, 0.0)
        band = MINUTES_PER_PLAY_BANDS.get(device)
        color = BAR
        if band is not None:
            _band_box(ax, i, band)
            color = GOOD if band.holds(value) else BAD
        ax.bar(i, value, width=0.45, color=color, zorder=2)
        ax.text(i, value + top * 0.02, f"{value:.1f}", ha="center", fontsize=9)
    ax.set_xticks(range(len(devices)), devices)
    ax.set_ylabel("minutes per play (mean)")
    _title(ax, "Minutes per play by device", f"all plays {_verdict(overall)}; bands: Conviva TV 28.7, mobile 8.6")
    ax.legend(fontsize=8, loc="upper left")


def _completion(ax, profile: Profile) -> None:
    episode, film = profile.figure("completion_episode"), profile.figure("completion_film")
    ratio = profile.figure("completion_ratio")
    ax.set_ylim(0, 100)
    for i, figure in enumerate((episode, film)):
        _band_box(ax, i, figure.band)
        ax.bar(i, figure.value or 0, width=0.45, color=_color(figure), zorder=2)
        ax.text(i, (figure.value or 0) + 2, f"{figure.value or 0:.0f}", ha="center", fontsize=9)
    labels = ["episodes", "films", ""]
    for j, (bucket, value, _plays) in enumerate(profile.completion_by_length, start=3):
        ax.bar(j, value or 0, width=0.6, color=MUTED, zorder=2)
        ax.text(j, (value or 0) + 2, f"{value:.0f}" if value is not None else "—", ha="center", fontsize=8)
        labels.append(bucket)
    ax.set_xticks(range(len(labels)), labels, fontsize=8, rotation=30)
    ax.set_ylabel("% of plays that reach the end")
    _title(
        ax,
        "Plays that reach the end",
        f"by type (bands) and by title length (grey); episodes / films {_verdict(ratio)}",
    )


def _concentration(ax, profile: Profile) -> None:
    curve = profile.concentration
    hours = profile.figure("top_3pct_hours_share")
    plays = profile.figure("top_10pct_plays_share")
    n = len(curve)
    if n:
        xs = [0.0] + [100.0 * (i + 1) / n for i in range(n)]
        ax.plot(xs, [0.0, *curve], color=BAR, lw=2, label="this lake (hours)")
    ax.plot([0, 100], [0, 100], color=MUTED, ls="--", lw=1, label="every title equal")
    x = 100 * TOP_HOURS_FRACTION
    ax.plot([x, x], [hours.band.low, hours.band.high], color=GOOD, lw=8, alpha=0.6, label="band: top 3 % of titles")
    ax.plot([x], [37], "k*", ms=10, label="Netflix H1 2023: 3 % → 37 %")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("% of titles, most watched first")
    ax.set_ylabel("cumulative % of hours")
    _title(
        ax,
        "Title concentration",
        f"top 3 % of titles: {_verdict(hours)} of hours; top 10 %: {_verdict(plays)} of plays",
    )
    ax.legend(fontsize=8, loc="lower right")


def _by_hour(ax, profile: Profile) -> None:
    grid = profile.hours_by_weekday_hour
    peak, prime = profile.figure("peak_hour"), profile.figure("prime_time_share")
    ax.axvspan(peak.band.low, peak.band.high + 1, color=BAND, alpha=0.5, label=f"peak-hour band {peak.band.describe()}")
    if grid:
        weekend = [sum(grid[w][h] for w in WEEKEND) / len(WEEKEND) for h in range(24)]
        weekday = [sum(grid[w][h] for w in range(7) if w not in WEEKEND) / (7 - len(WEEKEND)) for h in range(24)]
        ax.step(range(25), [*weekday, weekday[-1]], where="post", color=BAR, lw=2, label="Mon–Fri")
        ax.step(range(25), [*weekend, weekend[-1]], where="post", color="#ef6c00", lw=2, label="Sat–Sun")
    lo, hi = PRIME_TIME_HOURS[0], PRIME_TIME_HOURS[-1] + 1
    ax.axvline(lo, color=MUTED, ls=":", lw=1)
    ax.axvline(hi, color=MUTED, ls=":", lw=1)
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel("local hour of the play's start")
    ax.set_ylabel("hours viewed per day")
    lift = profile.figure("weekend_daytime_lift")
    _title(
        ax,
        "Daily shape, viewers' local time",
        f"peak {_verdict(peak)}; 8–11 pm {_verdict(prime)}; weekend daytime lift {_verdict(lift)}",
    )
    ax.legend(fontsize=8, loc="upper left")


def _by_weekday(ax, profile: Profile) -> None:
    grid = profile.hours_by_weekday_hour
    rank = profile.figure("sunday_rank")
    daily = [sum(row) for row in grid] if grid else [0.0] * 7
    colors = [(_color(rank) if w == 6 else BAR) for w in range(7)]
    ax.bar(range(7), daily, color=colors)
    ax.set_xticks(range(7), WEEKDAYS)
    ax.set_ylabel("hours viewed per day (local weekday)")
    if any(daily):
        ax.set_ylim(min(daily) * 0.9, max(daily) * 1.05)
    _title(ax, "Weekly shape, viewers' local weekday", f"Sunday ranks {_verdict(rank)} (axis does not start at 0)")


def _concurrency(ax, profile: Profile) -> None:
    hist = profile.max_streams
    over = profile.figure("over_plan_limit_share")
    devices = profile.figure("device_overlap_share")
    top_limit = max(PLAN_STREAM_LIMITS.values())
    if hist:
        xs = sorted(hist)
        ax.bar(xs, [hist[x] for x in xs], color=[GOOD if x <= top_limit else BAD for x in xs])
    ax.axvline(top_limit + 0.5, color="k", ls="--", lw=1, label=f"highest plan limit ({top_limit})")
    ax.set_xlabel("most sessions a household played at once")
    ax.set_ylabel("households")
    _title(
        ax,
        "Sessions playing at once",
        f"households over their plan's limit {_verdict(over)}; devices overlapping {_verdict(devices)}",
    )
    ax.legend(fontsize=8)


def _lifecycle(ax, profile: Profile) -> None:
    keys = ("monthly_churn", "monthly_signups", "daily_active_share")
    labels = ("monthly\nchurn", "monthly\nsign-ups", "active\non a day")
    figures = [profile.figure(k) for k in keys]
    top = max([100.0, *(f.value or 0 for f in figures)]) * 1.05
    ax.set_ylim(0.05, top)
    ax.set_yscale("log")
    for i, figure in enumerate(figures):
        _band_box(ax, i, figure.band)
        ax.bar(i, max(figure.value or 0, 0.05), width=0.45, color=_color(figure), zorder=2)
        ax.text(i, max(figure.value or 0, 0.05) * 1.15, format_value(figure), ha="center", fontsize=9)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylabel("% (log scale)")
    _title(ax, "Subscribers", "churn and sign-ups per subscriber-month (bands: Antenna), share active on a day")


def _score(figure: Figure) -> tuple[float, bool]:
    """Where a value sits against its band in band widths (the band is 0–1), and whether it was clipped."""
    band, value = figure.band, figure.value
    if value is None:
        return (SCORE_CLIP[0], True)
    width = band.high - band.low
    if math.isinf(band.high):
        width = max(abs(band.low), 1.0)
        position = 0.5 if value >= band.low else (value - band.low) / width
    elif width == 0:
        position = 0.5 if value == band.low else (value - band.low) / max(abs(band.low), 1.0)
    else:
        position = (value - band.low) / width
    clipped = min(max(position, SCORE_CLIP[0]), SCORE_CLIP[1])
    return clipped, clipped != position


def _scorecard(ax, profile: Profile) -> None:
    figures = profile.figures
    n = len(figures)
    ax.axvspan(0, 1, color=BAND, alpha=0.7)
    for row, figure in enumerate(figures):
        y = n - 1 - row
        x, clipped = _score(figure)
        ax.plot([x], [y], marker=(">" if x > 0 else "<") if clipped else "o", color=_color(figure), ms=8)
    ax.set_yticks(range(n), [f.band.figure for f in reversed(figures)], fontsize=8)
    ax.set_xlim(SCORE_CLIP[0] - 0.2, SCORE_CLIP[1] + 0.2)
    ax.set_ylim(-0.7, n - 0.3)
    verdicts = ax.twinx()
    verdicts.set_ylim(ax.get_ylim())
    verdicts.set_yticks(range(n), [_verdict(f) for f in reversed(figures)], fontsize=8)
    for label, figure in zip(verdicts.get_yticklabels(), reversed(figures), strict=True):
        label.set_color(_color(figure))
    ax.set_xticks([SCORE_CLIP[0], 0, 1, SCORE_CLIP[1]], ["far below", "low", "high", "far above"])
    _title(ax, "Every figure against its band", "green column: the band; arrows: beyond the axis")
    ax.grid(axis="y", color="#eeeeee")
    assert set(BANDS_BY_KEY) >= {f.key for f in figures}
