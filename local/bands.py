"""Reference bands for the audience's own figures: what a lake of this world should show, and who measured it.

Each band is declared once, with the public sources it rests on and how the range follows from them (`basis`).
A band is a range an analyst would accept, not a point: where the only figures are old, from one service or one
country, or derived from other figures, the range is wider and `basis` says so. `local.profile` measures each
figure from a lake and holds it to its band; the world model's tests import the same bands.

Percentages are in percent (0–100). Local times are the customer's `timezone`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from functions.shared import domains
from functions.shared.households import HOURS_PER_SUBSCRIBER_BAND


@dataclass(frozen=True)
class Source:
    """One public measurement a band rests on."""

    cite: str
    """Short citation for tables, e.g. 'Conviva Q1 2022'."""
    publisher: str
    """Who measured it (and who reported it, if not the publisher)."""
    report: str
    """The report, release or article."""
    year: int | None
    """The year the figure describes; None where the reference gives none."""
    measured: str
    """What exactly was measured, with the figure."""
    url: str = ""
    """Where it was read (the report or the press coverage of it)."""


@dataclass(frozen=True)
class Band:
    """An accepted range for one figure of the audience, and its sources."""

    key: str
    """Stable identifier, used by `local.profile` and by tests."""
    figure: str
    """What is measured, as an analyst would name it."""
    unit: str
    """Unit of `low` and `high` (and of the measured value)."""
    low: float
    """Lowest accepted value (inclusive); -inf for none."""
    high: float
    """Highest accepted value (inclusive); inf for none."""
    sources: tuple[Source, ...]
    """The public figures the range rests on."""
    basis: str
    """How the range follows from the sources: derivation, widening, what is judgement."""

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"band {self.key}: low must be <= high, got {self.low} > {self.high}")

    def holds(self, value: float | None) -> bool:
        """Whether a measured value is inside the band (a missing value is not)."""
        return value is not None and not math.isnan(value) and self.low <= value <= self.high

    def describe(self) -> str:
        """The range as text, e.g. '1.2–3 h', '≥ 0.5', '0 %'."""
        fmt = _number
        unit = f" {self.unit}" if self.unit else ""
        if self.low == self.high:
            return f"{fmt(self.low)}{unit}"
        if math.isinf(self.high):
            return f"≥ {fmt(self.low)}{unit}"
        if math.isinf(self.low):
            return f"≤ {fmt(self.high)}{unit}"
        return f"{fmt(self.low)}–{fmt(self.high)}{unit}"


def _number(value: float) -> str:
    return f"{value:g}"


# --- sources -------------------------------------------------------------------------------------------------

NETFLIX_2015_TIME = Source(
    "Netflix 2015 (Time)",
    "Time (from Netflix's Q4 2015 letter to shareholders)",
    "This Is How Much Netflix We're All Watching Every Day",
    2015,
    "42.5 billion hours streamed in 2015 over the 75 M members at its end: 568 h a year, 1 h 33 min per subscriber "
    "per day",
    "https://time.com/4186137/netflix-hours-per-day/",
)
MOFFETT_2023 = Source(
    "MoffettNathanson 2023",
    "MoffettNathanson Research, via MediaPost",
    "Netflix Streaming Success Not Just From Top Shows (on Netflix's H1 2023 engagement report)",
    2023,
    "93.5 billion hours over 242 M subscribers: about 2.1 h per subscriber per day; the top 10 of ~18,000 titles "
    "took 8 % of hours and the top 100 took 33 %",
    "https://www.mediapost.com/publications/article/391981/netflix-streaming-success-not-just-from-top-shows.html",
)
MOFFETT_2024 = Source(
    "MoffettNathanson 2024",
    "MoffettNathanson Research, via MediaPost",
    "Netflix Viewing Slows Globally (on Netflix's H1 2024 engagement report and Nielsen)",
    2024,
    "94.0 billion hours over 277 M subscribers: 1.9 h per subscriber per day worldwide; 1.5 h in the US "
    "(Nielsen, TV sets only, so an undercount)",
    "https://www.mediapost.com/publications/article/399755/netflix-viewing-slows-globally-total-us-viewing.html",
)
LEICHTMAN_2020 = Source(
    "Leichtman 2020",
    "Leichtman Research Group, via Movieguide",
    "14th annual study of SVOD in the US",
    2020,
    "78 % of US households have Netflix, Prime Video or Hulu; 40 % of all adults (over half of those 18–44) "
    "stream an SVOD service daily",
    "https://www.movieguide.org/?p=543415",
)
NETFLIX_PLANS = Source(
    "Netflix plans",
    "Netflix Help Center",
    "Plans and Pricing (help.netflix.com/node/24926), as summarised by the press",
    2025,
    "screens that may stream at the same time: Basic 1 (withdrawn), Standard with ads 2, Standard 2, Premium 4",
    "https://help.netflix.com/node/24926",
)
CONVIVA_Q1_2022 = Source(
    "Conviva Q1 2022",
    "Conviva State of Streaming Q1 2022, via MarketingCharts",
    "Smart TV Viewing Continued its Growth Pattern in Q1",
    2022,
    "share of viewing time: big screens (smart TVs, connected-TV devices, consoles) 77 % globally, 83 % in North "
    "America; mobile 11 %, desktop 7 %, tablet 5 %",
    "https://www.marketingcharts.com/digital/video-225951",
)
CONVIVA_Q4_2020 = Source(
    "Conviva Q4 2020",
    "Conviva State of Streaming Q4 2020, via Display Daily",
    "Smart TVs See 157% YoY Increase in Viewing Hours",
    2020,
    "big screens over 75 % of viewing time; minutes per play 28.7 on TVs, 8.6 on mobile phones",
    "https://displaydaily.com/data-smart-tvs-see-157-yoy-increase-in-viewing-hours",
)
CONVIVA_Q2_2022 = Source(
    "Conviva Q2 2022",
    "Conviva State of Streaming Q2 2022, via Next TV",
    "Conviva Sees Increase in Streaming for 2Q With Smart TV Use Gaining",
    2022,
    "minutes per video play: 20.8 globally, 22.3 in North America",
    "https://www.nexttv.com/news/conviva-sees-increase-in-streaming-for-2q-with-smart-tv-use-gaining",
)
NETFLIX_UK_LETTER = Source(
    "Netflix UK letter 2022",
    "Netflix letter to the UK government, via Primetimer",
    "Netflix tracks shows by measuring starters, watchers and completers",
    2022,
    "definitions: a starter watched 2 minutes of a film or an episode; a completer watched 90 % of a film or of a "
    "season",
    "https://primetimer.com/item/Netflix-tracks-shows-by-measuring-quot-starters-quot-quot-watchers-quot-and-"
    "quot-completers-quot-mpSdBG",
)
DIGITAL_I_2024 = Source(
    "Digital i 2024",
    "Digital i, via Pinkvilla (What's on Netflix)",
    "Completion (view-through) rates of Netflix films, 2023–24",
    2024,
    "share of households that started a film and finished it: 53–78 % for the season's big Netflix films",
    "https://www.pinkvilla.com/entertainment/hollywood/millie-bobby-browns-damsel-gets-highest-completion-rate-so-"
    "far-in-2024-1312902",
)
ALTMAN_SOLON_2023 = Source(
    "Altman Solon 2023",
    "Altman Solon analysis of Netflix's engagement report (project reference: streaming-figures.md)",
    "What We Watched, H1 2023",
    2023,
    "the top ~3 % of titles took about 37 % of hours viewed",
)
NALDI_SERIES = Source(
    "Naldi et al.",
    "Naldi et al. (project reference: streaming-figures.md)",
    "viewing concentration across series (year not given in the reference; to be checked)",
    None,
    "the top 20 % of series took about 85.6 % of viewing",
)
CONVIVA_Q1_2018 = Source(
    "Conviva Q1 2018",
    "Conviva All-Screen Streaming TV Census Q1 2018, via nScreenMedia",
    "Connected TV dominates premium streamed video viewing",
    2018,
    "plays and viewing hours peak on every Sunday; Nielsen: Sunday is the busiest day of linear TV "
    "(2013–14 season, 10 % above an average evening, Saturday next)",
    "https://nscreenmedia.com/conviva-streaming-tv-connected-tv-growth/",
)
SCANSCOUT_WEEKEND = Source(
    "ScanScout ~2010",
    "ScanScout, via Maximum PC",
    "One Quarter of All Online Video Streams Happen During Primetime",
    2010,
    "online video on weekend days 31 % above weekdays; about a quarter of streams in 8–11 pm",
    "http://www.maximumpc.com/report-one-quarter-of-all-online-video-streams-happen-during-primetime/",
)
REALITYMINE_2016 = Source(
    "RealityMine 2015",
    "RealityMine, via Broadcasting & Cable",
    "Primetime Endures for On-Demand",
    2015,
    "streaming on any device peaks between 8 and 9 pm local, most viewing between about 6 and 10 pm "
    "(US panel of 7,673, March–November 2015)",
    "https://www.broadcastingcable.com/news/primetime-endures-demand-154181",
)
CONVIVA_MARCH_2020 = Source(
    "Conviva March 2020",
    "Conviva Streaming in the Time of Coronavirus, via VideoNuze",
    "Daytime Viewing Up As Much As 43% in March 17-23 Week",
    2020,
    "before lockdowns (March 3–9, 2020) the 3 prime-time hours 8–11 pm held 22.4 % of a day's streaming and the "
    "7 daytime hours 10 am–5 pm 27.1 %",
    "https://www.videonuze.com/article/conviva-daytime-viewing-up-as-much-as-43-in-march-17-23-week",
)
ANTENNA_2025 = Source(
    "Antenna 2025",
    "Antenna",
    "Q1'26 State of Subscriptions: Premium SVOD 2025 Year in Review",
    2025,
    "US Premium SVOD weighted average monthly churn 4.6 % in 2025; subscribers +7 %, gross additions +7 % on 2024",
    "https://www.antenna.live/insights/antenna-q126-state-of-subscriptions-report-premium-svod-2025-year-in-review",
)
ANTENNA_2024 = Source(
    "Antenna 2024",
    "Antenna",
    "A Case for Rethinking Churn",
    2024,
    "US Premium SVOD weighted average gross churn 5.2 % in August 2024 (net of resubscriptions 3.5 %); 169 M "
    "gross additions Sep 2023–Aug 2024. Churn = cancels in a month / subscribers at the end of the month before",
    "https://antenna.live/post/a-case-for-rethinking-churn",
)

# --- player QoE sources (docs/research/qoe-ads-incidents.md) ----------------------------------------------------------

WOWZA_QOE = Source(
    "Wowza QoE benchmarks",
    "Wowza",
    "Quality of Experience metrics benchmarking (vendor thresholds, not measurements)",
    None,
    "start-up median: good 0-2 s, fair 2-5 s; slowest 5 % of sessions: good up to 10 s, fair 10-20 s; rebuffering "
    "good up to 36 s per hour played (1 %)",
    "https://wowza.com/docs/quality-of-experience-metrics-benchmarking",
)
CONVIVA_Q1_2022_VST = Source(
    "Conviva Q1 2022 (VST)",
    "Conviva State of Streaming Q1 2022, via Trade Law Daily",
    "Video streaming minutes up globally, but start times widen",
    2022,
    "average video start time about 4 s in Europe (the fastest region), 8 s in Africa; VSF -17.6 % year on year",
    "https://tradelawdaily.com/article/2022/05/23/video-streaming-minutes-up-globally-but-start-times-widen-conviva-2205200030",
)
CONVIVA_Q3_2019 = Source(
    "Conviva Q3 2019",
    "Conviva State of Streaming Q3 2019, via MarketingCharts",
    "video start failures",
    2019,
    "video start failures 0.78 % of attempts",
    "https://dev.marketingcharts.com/digital/video-111217",
)
KRISHNAN_2012 = Source(
    "Krishnan & Sitaraman 2012",
    "Akamai / UMass Amherst, Akamai blog",
    "Video Stream Quality Impacts Viewer Behavior",
    2012,
    "viewers start abandoning after 2 s of start-up delay, each further second adds 5.8 % abandonment (23 M views)",
    "https://blogs.akamai.com/2012/11/new-video-quality-study-examines-causes-of-viewer-behavior.html",
)
CONVIVA_Q3_2021 = Source(
    "Conviva Q3 2021",
    "Conviva State of Streaming Q3 2021, via Advanced Television",
    "Report: Global streaming market still growing",
    2021,
    "rebuffering ratio 0.19 % in North America, under 1 % in every region",
    "https://advanced-television.com/2021/11/05/report-global-streaming-market-still-growing/",
)
CONVIVA_2014_VIEWER = Source(
    "Conviva 2014",
    "Conviva 2014 Viewer Experience Report, via Next TV",
    "Study: 27 % of online video views experience buffering",
    2013,
    "26.9 % of views saw at least one rebuffering (39.3 % in 2012): an upper bound for today's networks",
    "https://www.nexttv.com/news/study-27-online-video-views-experience-buffering-381133",
)
NPAW_H1_2019 = Source(
    "NPAW H1 2019",
    "NPAW, via Rethink Research",
    "Smartphones produce fewer video errors than set-tops, says report",
    2019,
    "0.52 buffer interruptions per VOD play; errors per play: smartphone 0.068, set-top 0.181, VOD 0.054",
    "https://rethinkresearch.biz/articles/smartphones-produce-fewer-video-errors-than-set-tops-says-report/",
)
NETFLIX_ISP_INDEX = Source(
    "Netflix ISP Speed Index",
    "Netflix ISP Speed Index (about page; Multichannel News, March 2016)",
    "average prime-time bitrate of Netflix content per ISP",
    2016,
    "3.2-3.8 Mbps on US cable and fiber, 1.9-2.7 on DSL (cellular excluded)",
    "https://ispspeedindex.netflix.com/about/",
)
APPLE_HLS = Source(
    "Apple HLS authoring spec",
    "Apple",
    "HTTP Live Streaming (HLS) authoring specification for Apple devices",
    None,
    "H.264 ladder 145 kbps (416x234) to 7,800 kbps (1080p)",
    "https://developer.apple.com/streaming/hls-authoring-specification-for-apple-devices.html",
)
DASHJS_SWITCH = Source(
    "dash.js switch history rule",
    "DASH Industry Forum, dash.js documentation",
    "SwitchHistoryRule",
    None,
    "no public benchmark of switches per hour exists; dash.js damps down-switches once drops exceed 7.5 %",
    "https://dashif.org/dash.js/pages/advanced/abr/switch-history-rule.html",
)


# --- plan limits (a fact of the product the bands hold the world to) ------------------------------------------

PLAN_STREAM_LIMITS = domains.PLAN_STREAM_LIMITS
"""Streams a household may play at once, by `subscription_tier` (declared in domains; source NETFLIX_PLANS)."""


# --- the bands ------------------------------------------------------------------------------------------------

HOURS_PER_SUBSCRIBER_DAY = Band(
    "hours_per_subscriber_day",
    "hours streamed per subscriber per day",
    "h",
    *HOURS_PER_SUBSCRIBER_BAND,
    (MOFFETT_2023, MOFFETT_2024, NETFLIX_2015_TIME),
    "Netflix, the one service with public totals, measures 1.5 (2015) to 2.1 h (2023) per subscription worldwide "
    "and 1.5 h in the US on TV sets alone; widened to 1.2–3 h for services with less catalogue and for heavier "
    "seasons. Per subscription (household), not per person.",
)
HOURS_SPREAD_CV = Band(
    "hours_spread_cv",
    "spread of daily hours across subscribers (coefficient of variation)",
    "",
    0.5,
    4.0,
    (LEICHTMAN_2020, MOFFETT_2023),
    "No public per-household distribution; derived: if only about half of subscribers stream on a given day "
    "(LEICHTMAN_2020: 40 % of adults daily, 78 % of households subscribed) while the mean is ~2 h, households "
    "differ several-fold, so the CV of their mean daily hours is well above 0.5. The upper bound only rules out "
    "a handful of households holding all viewing.",
)
SESSIONS_PER_SUBSCRIBER_DAY = Band(
    "sessions_per_subscriber_day",
    "plays (sessions) per subscriber per day",
    "plays",
    2.0,
    9.0,
    (MOFFETT_2023, CONVIVA_Q2_2022, CONVIVA_Q4_2020),
    "Derived: 1.2–3 h a day at 20–29 minutes per play (CONVIVA_Q2_2022, CONVIVA_Q4_2020) is about 2.5–9 plays; "
    "widened down to 2 for services whose plays run longer.",
)
DAILY_ACTIVE_SHARE = Band(
    "daily_active_share",
    "subscribers who stream on a given day",
    "%",
    30.0,
    75.0,
    (LEICHTMAN_2020,),
    "40 % of all US adults stream SVOD daily and 78 % of households subscribe, so about half of subscribing "
    "households stream on a given day (more among 18–44); widened to 30–75 % for the difference between "
    "persons and households and between services.",
)
OVER_PLAN_LIMIT_SHARE = Band(
    "over_plan_limit_share",
    "households ever streaming more sessions at once than their plan allows",
    "%",
    0.0,
    0.0,
    (NETFLIX_PLANS,),
    "A service refuses a stream beyond the plan's limit (PLAN_STREAM_LIMITS), so no household exceeds it.",
)
DEVICE_OVERLAP_SHARE = Band(
    "device_overlap_share",
    "devices ever playing two sessions at once",
    "%",
    0.0,
    0.0,
    (NETFLIX_PLANS,),
    "A player plays one stream at a time: a device's sessions never overlap.",
)
DEVICE_SHARE_TV = Band(
    "device_share_tv",
    "share of viewing time on TVs (big screens)",
    "%",
    65.0,
    85.0,
    (CONVIVA_Q1_2022, CONVIVA_Q4_2020),
    "Conviva measures 75–77 % globally and 83 % in North America (2020–22); widened to 65–85 % for audiences "
    "outside North America and services with more mobile viewing.",
)
DEVICE_SHARE_MOBILE = Band(
    "device_share_mobile",
    "share of viewing time on mobile phones",
    "%",
    5.0,
    20.0,
    (CONVIVA_Q1_2022,),
    "Conviva Q1 2022: 11 % globally (8 % in North America, 16–18 % in South America and Africa in Q4 2021).",
)
DEVICE_SHARE_WEB = Band(
    "device_share_web",
    "share of viewing time in web browsers (desktop)",
    "%",
    2.0,
    12.0,
    (CONVIVA_Q1_2022,),
    "Conviva Q1 2022: desktop 7 % globally (5 % in North America, 10 % in 2020).",
)
DEVICE_SHARE_TABLET = Band(
    "device_share_tablet",
    "share of viewing time on tablets",
    "%",
    1.0,
    9.0,
    (CONVIVA_Q1_2022,),
    "Conviva Q1 2022: tablet 5 % globally (3 % in North America).",
)
CONVIVA_Q4_2021 = Source(
    "Conviva Q4 2021",
    "Conviva State of Streaming Q4 2021 (February 2022), read in a reprint of its trade-press coverage",
    "State of Streaming Q4 2021",
    2021,
    "share of viewing time on big screens by region: North America 83 % (mobile 8, desktop 5, tablet 3), South "
    "America 70 % (mobile 16, desktop 12, tablet 2), Africa 58 %, Asia 27 % (14 % in Q3 2021)",
    "http://modernmom.info/index-2758.html",
)
CONVIVA_EUROPE_Q4_2021 = Source(
    "Conviva Europe Q4 2021",
    "Conviva State of Streaming: Europe Q4 2021, via TVBEurope and Advanced Television (2022-03-17)",
    "Conviva: European streaming adoption outpaces rest of world",
    2021,
    "in Europe big screens (connected TVs, smart TVs, consoles) took 68 % of viewing time",
    "https://advanced-television.com/2022/03/17/data-strong-streaming-growth-in-europe/",
)
PEW_DEVICES_2021 = Source(
    "Pew 2021",
    "Pew Research Center",
    "Mobile Technology and Home Broadband 2021",
    2021,
    "US adults owning a smartphone 85 %, a desktop or laptop 77 %, a tablet 53 %",
    "https://www.pewresearch.org/internet/2021/06/03/mobile-technology-and-home-broadband-2021/",
)
DEVICE_SHARE_TV_NORTH_AMERICA = Band(
    "device_share_tv_north_america",
    "share of viewing time on TVs, households in the US and Canada",
    "%",
    76.0,
    88.0,
    (CONVIVA_Q4_2021, CONVIVA_Q1_2022),
    "Conviva measures 83 % big screens in North America (Q4 2021 and Q1 2022); ±5 points for one service's mix "
    "of plans (its ad tier watches more on phones).",
)
DEVICE_SHARE_TV_EUROPE = Band(
    "device_share_tv_europe",
    "share of viewing time on TVs, households in Europe (GB, DE)",
    "%",
    58.0,
    76.0,
    (CONVIVA_EUROPE_Q4_2021,),
    "Conviva measures 68 % big screens in Europe (Q4 2021); widened to 58-76 % for one quarter of one region's "
    "publishers and a service's own mix of plans.",
)
TV_SHARE_GAP = Band(
    "tv_share_gap",
    "TV share of viewing time, US and Canada minus Europe (GB, DE)",
    "points",
    5.0,
    25.0,
    (CONVIVA_Q4_2021, CONVIVA_EUROPE_Q4_2021),
    "Conviva Q4 2021: 83 % in North America against 68 % in Europe, 15 points; 5-25 accepted. The device mix "
    "differs by country: a world with one mix everywhere shows 0.",
)
MOBILE_SHARE_TIER_GAP = Band(
    "mobile_share_tier_gap",
    "phones' share of viewing time, ad tier (free_with_ads) minus premium",
    "points",
    3.0,
    25.0,
    (CONVIVA_Q4_2021,),
    "Judgement: cheap and ad-supported plans are bought for phones (Netflix sells mobile-only plans where phones "
    "lead, as Conviva's Asia shows), premium's 4K and four streams for TVs; no public split by plan was found, so "
    "only the sign and a plausible size (a few to 25 points) are held.",
)
DEVICES_PER_HOUSEHOLD = Band(
    "devices_per_household",
    "devices a household streamed on over the lake (distinct device_id, households with 20+ plays)",
    "",
    2.0,
    6.0,
    (PEW_DEVICES_2021, CONVIVA_Q4_2021),
    "Judgement from ownership: most households have one to three streaming TVs, a phone per adult (2.5 persons "
    "per US household, US Census 2020; 85 % of adults own one), a laptop in three quarters and a tablet in half "
    "(Pew 2021); a household streams on most of them over a few weeks, least often on the tablet and laptop.",
)
MINUTES_PER_PLAY = Band(
    "minutes_per_play",
    "minutes per play (mean, all devices)",
    "min",
    15.0,
    30.0,
    (CONVIVA_Q2_2022, CONVIVA_Q4_2020),
    "Conviva: 20.8 globally and 22.3 in North America (Q2 2022); widened to 15–30 for services with more "
    "long-form or more mobile viewing than Conviva's mix of publishers.",
)
MINUTES_PER_PLAY_TV = Band(
    "minutes_per_play_tv",
    "minutes per play on TVs (mean)",
    "min",
    20.0,
    40.0,
    (CONVIVA_Q4_2020,),
    "Conviva Q4 2020: 28.7 on TVs (33–36 on Roku and Chromecast).",
)
MINUTES_PER_PLAY_MOBILE = Band(
    "minutes_per_play_mobile",
    "minutes per play on mobile phones (mean)",
    "min",
    4.0,
    15.0,
    (CONVIVA_Q4_2020,),
    "Conviva Q4 2020: 8.6 on mobile phones.",
)
MOBILE_TV_PLAY_RATIO = Band(
    "mobile_tv_play_ratio",
    "minutes per play on mobile over minutes per play on TV",
    "×",
    0.15,
    0.6,
    (CONVIVA_Q4_2020,),
    "Conviva Q4 2020: 8.6 / 28.7 = 0.30; mobile plays are a fraction of TV plays whatever the overall length.",
)
SHORT_PLAY_SHARE = Band(
    "short_play_share",
    "plays under one minute",
    "%",
    5.0,
    35.0,
    (NETFLIX_UK_LETTER, CONVIVA_Q2_2022),
    "No public share found. Netflix counts a 'starter' only after 2 minutes, so sampling plays shorter than that "
    "are common enough to exclude; and a ~20-minute mean with TV plays near 29 implies a long tail of short "
    "plays. Judgement: present (≥ 5 %) but not most plays (≤ 35 %).",
)
COMPLETION_EPISODE = Band(
    "completion_episode",
    "plays of a series episode that reach the end",
    "%",
    40.0,
    90.0,
    (NETFLIX_UK_LETTER, DIGITAL_I_2024),
    "No public per-play figure. An episode (20–60 min) fits one sitting and binge chains finish episode after "
    "episode; judgement: most episode plays finish (40–90 %).",
)
COMPLETION_FILM = Band(
    "completion_film",
    "plays of a film (movie or documentary) that reach the end",
    "%",
    10.0,
    55.0,
    (DIGITAL_I_2024, NETFLIX_UK_LETTER),
    "Digital i measures 53–78 % of households finishing the season's big Netflix films — per household, over "
    "any number of sittings, for hits; a single play of an average film finishes less often. Judgement: 10–55 %.",
)
COMPLETION_RATIO = Band(
    "completion_ratio",
    "episode completion over film completion",
    "×",
    1.3,
    math.inf,
    (DIGITAL_I_2024,),
    "Episodes finish far more often than films per play (COMPLETION_EPISODE over COMPLETION_FILM); judgement: "
    "at least 1.3 times.",
)
HARRIS_BINGE_2013 = Source(
    "Harris Interactive 2013",
    "Harris Interactive for Netflix, via CNN Money and The Christian Science Monitor",
    "Netflix binge-viewing survey (3,078 US adults online, late November 2013)",
    2013,
    "73 % of streamers define binge-watching as 2-6 episodes of the same show in one sitting; 61 % of regular "
    "streamers binge at least every few weeks",
    "http://money.cnn.com/2013/12/13/technology/netflix-binge/index.html",
)
DELOITTE_BINGE_2016 = Source(
    "Deloitte Digital Democracy 2016",
    "Deloitte, via Tubefilter and TV Technology",
    "Digital Democracy Survey, 10th edition (2,205 US consumers, November 2015)",
    2015,
    "70 % of US consumers binge-watch, an average of 5 episodes per sitting (baby boomers 4)",
    "https://www.tubefilter.com/2016/03/23/deloitte-study-binge-watching-social-media-multitasking/",
)
NETFLIX_STILL_WATCHING = Source(
    "Netflix Help Center",
    "Netflix",
    "Why Netflix asks, 'Are you still watching?' (help.netflix.com/en/node/114059)",
    None,
    "the prompt appears after 3 episodes of a show in a row without using the player's controls, or after 90 "
    "minutes of uninterrupted watching; autoplay of the next episode is on by default",
    "https://help.netflix.com/en/node/114059",
)
BINGE_CHAINED_SHARE = Band(
    "binge_chained_share",
    "episode plays that autoplay after the previous episode on the same screen (within 90 s of its end)",
    "%",
    15.0,
    60.0,
    (HARRIS_BINGE_2013, DELOITTE_BINGE_2016, NETFLIX_STILL_WATCHING),
    "No public per-play figure. Autoplay is on by default and most streamers binge (61-70 %), but phones and "
    "sampling plays rarely chain; judgement: a sizeable minority of episode plays (15-60 %) follow the one before "
    "in the same sitting.",
)
NETFLIX_HOOKED_2015 = Source(
    "Netflix 2015",
    "Netflix (press release, via The Verge and Variety)",
    "'Netflix Discovers the Episode That Hooked Viewers' (September 2015: 20+ series, 16 markets)",
    2015,
    "the episode after which 70 % of viewers who watched it went on to complete the first season: episode 2-4 for "
    "most series, never the pilot",
)
NETFLIX_BINGE_SCALE_2016 = Source(
    "Netflix 2016",
    "Netflix (press release, via Variety)",
    "'Netflix & Binge: New Binge Scale Reveals TV Series We Devour and Those We Savor' (June 2016, 100+ series, "
    "190 countries)",
    2016,
    "members who completed a first season watched about 2 hours a day and finished it in 4 days (series they "
    "'devour') to 6 days (series they 'savor')",
)
NEXT_DAY_CONTINUES = Band(
    "next_day_continues",
    "a household's first episode play of a series on a later day that picks up where it left off (the next "
    "episode, the unfinished one again, or the one after the furthest it has played)",
    "%",
    30.0,
    90.0,
    (NETFLIX_HOOKED_2015, NETFLIX_BINGE_SCALE_2016),
    "No public per-play figure. Most viewers who start a series go on through it in order over days (Netflix: "
    "hooked by episode 2-4, a season in 4-6 days), so most returns to a series continue it; shared accounts (members "
    "at different points), rewatches and sampling of other episodes do not. Judgement: 30-90 %, wide. Episodes drawn "
    "by popularity alone (no household following a series) measured 17 % on the default world's two weeks.",
)
BINGE_EPISODES_PER_SITTING = Band(
    "binge_episodes_per_sitting",
    "episodes per sitting of two or more, one chained after another on a screen",
    "episodes",
    2.0,
    6.0,
    (HARRIS_BINGE_2013, DELOITTE_BINGE_2016, NETFLIX_STILL_WATCHING),
    "Streamers define a binge as 2-6 episodes in a sitting (Harris) and report 5 on average (Deloitte, "
    "self-reported); an autoplay chain stops at Netflix's 'Are you still watching?' after 3, so the measured chains "
    "sit at the low end. Judgement: 2-6.",
)
TOP_3PCT_HOURS_SHARE = Band(
    "top_3pct_hours_share",
    "share of hours on the top 3 % of titles",
    "%",
    25.0,
    55.0,
    (ALTMAN_SOLON_2023, MOFFETT_2023),
    "Netflix H1 2023: the top ~3 % of titles took ~37 % of hours, the top 0.55 % (100 titles) 33 %; widened to "
    "25–55 % for a catalogue of hundreds rather than 18,000 titles.",
)
TOP_10PCT_PLAYS_SHARE = Band(
    "top_10pct_plays_share",
    "share of plays on the top 10 % of titles",
    "%",
    35.0,
    80.0,
    (ALTMAN_SOLON_2023, NALDI_SERIES),
    "Between the top 3 % holding ~37 % of hours (Netflix 2023) and the top 20 % of series holding ~86 % "
    "(Naldi et al.); plays are a little less concentrated than hours (short sampling plays spread wider).",
)
SUNDAY_RANK = Band(
    "sunday_rank",
    "Sunday's rank among weekdays by hours viewed, live surges weighed out (1 = busiest)",
    "",
    1.0,
    2.0,
    (CONVIVA_Q1_2018,),
    "Conviva saw the peak on every Sunday (2018) and Nielsen's busiest TV day is Sunday with Saturday next; "
    "older figures, so Sunday may be first or second.",
)
WEEKEND_DAYTIME_LIFT = Band(
    "weekend_daytime_lift",
    "weekend daytime (10 am–5 pm local) hours per day over weekday daytime",
    "×",
    1.15,
    2.5,
    (SCANSCOUT_WEEKEND, CONVIVA_MARCH_2020),
    "ScanScout measured weekend days 31 % above weekdays for all online video (about 2010, old and not SVOD); "
    "daytime is where weekday and weekend differ most (Conviva's lockdown weeks lifted weekday daytime 40 %). "
    "Widened to 1.15–2.5 because the only figure is old.",
)
PEAK_HOUR = Band(
    "peak_hour",
    "local hour with the most viewing (start of the hour)",
    "h",
    19.0,
    22.0,
    (REALITYMINE_2016, CONVIVA_MARCH_2020),
    "RealityMine: peak 8–9 pm local, most viewing 6–10 pm; Nielsen's most-watched quarter hour is 9:15–9:30 pm. "
    "Accepted: the 7, 8, 9 or 10 pm hour.",
)
PRIME_TIME_SHARE = Band(
    "prime_time_share",
    "share of a day's viewing in 8–11 pm local",
    "%",
    17.0,
    35.0,
    (CONVIVA_MARCH_2020, SCANSCOUT_WEEKEND),
    "Conviva: 22.4 % in the three prime-time hours before lockdowns (2020); ScanScout: about a quarter; "
    "widened to 17–35 %.",
)
MONTHLY_CHURN = Band(
    "monthly_churn",
    "monthly churn (cancellations per subscriber-month, trailing year)",
    "%",
    2.0,
    8.0,
    (ANTENNA_2025, ANTENNA_2024),
    "Antenna: US Premium SVOD weighted average 4.6 % (2025), 5.2 % gross and 3.5 % net (August 2024); single "
    "services range wider, so 2–8 %.",
)
MONTHLY_SIGNUPS = Band(
    "monthly_signups",
    "monthly sign-ups (new subscriptions per subscriber-month, trailing year)",
    "%",
    2.0,
    9.0,
    (ANTENNA_2025, ANTENNA_2024),
    "Derived: gross additions = cancellations + net growth; churn ~4.6–5.2 % a month and subscribers +7 % a "
    "year (~0.6 % a month) give ~5–6 % a month; widened to 2–9 %.",
)
PLAYS_OUTSIDE_SUBSCRIPTION = Band(
    "plays_outside_subscription",
    "plays by a customer before subscribing or after cancelling",
    "%",
    0.0,
    0.0,
    (ANTENNA_2024,),
    "A subscription service streams only to subscribers (Antenna counts a cancel at loss of access or at the "
    "explicit cancel): none.",
)
PLAYS_BEFORE_RELEASE = Band(
    "plays_before_release",
    "plays of a title before its release date",
    "%",
    0.0,
    0.0,
    (MOFFETT_2023,),
    "A title cannot be streamed before it is released: none.",
)

# --- player QoE (functions/shared/player.py; docs/player.md) ----------------------------------------------------------

STARTUP_P50 = Band(
    "startup_p50",
    "start-up time, median (attempt to first frame)",
    "s",
    1.5,
    3.0,
    (WOWZA_QOE, CONVIVA_Q1_2022_VST),
    "Research doc §1a: Wowza's 'good' median is under 2 s and Conviva's regional averages (means, pulled up by the "
    "tail) are about 4 s in Europe; a median of 1.5-3 s fits both.",
)
STARTUP_P95 = Band(
    "startup_p95",
    "start-up time, 95th percentile",
    "s",
    6.0,
    12.0,
    (WOWZA_QOE,),
    "Wowza's slowest 5 % of sessions: good up to 10 s, fair to 20 s; 6-12 s is a log-normal tail over the median.",
)
VSF_SHARE = Band(
    "vsf_share",
    "video start failures (VSF, % of attempts)",
    "%",
    0.5,
    2.0,
    (CONVIVA_Q3_2019,),
    "Conviva 0.78 % (Q3 2019); the research doc's band is 0.5-1.5 %, widened to 2 % here because the lake holds "
    "the seeded incidents (an ISP outage multiplies its scope's failures by 10-30).",
)
EBVS_SHARE = Band(
    "ebvs_share",
    "exits before video start (EBVS, % of attempts)",
    "%",
    2.0,
    6.0,
    (KRISHNAN_2012,),
    "Derived (no public EBVS share): the Akamai abandonment hazard after 2 s over a median start-up of 2-3 s.",
)
REBUFFERING_RATIO = Band(
    "rebuffering_ratio",
    "rebuffering ratio (stalled / (played + stalled))",
    "%",
    0.15,
    0.8,
    (CONVIVA_Q3_2021, WOWZA_QOE),
    "Conviva: 0.19 % in North America and under 1 % everywhere (Q3 2021), 0.78 % globally in 2018; NPAW's buffer "
    "ratio has fallen since. The world's viewers are mostly in North America and Europe.",
)
STALLED_PLAY_SHARE = Band(
    "stalled_play_share",
    "plays with at least one stall",
    "%",
    10.0,
    30.0,
    (CONVIVA_2014_VIEWER, NPAW_H1_2019),
    "Conviva's 26.9 % of views (2013) is an upper bound for today's networks; NPAW's 0.52 interruptions per VOD "
    "play (H1 2019) over a few interruptions per stalled play.",
)
VPF_SHARE = Band(
    "vpf_share",
    "video playback failures (VPF, % of ended plays)",
    "%",
    0.5,
    2.0,
    (NPAW_H1_2019,),
    "Research doc §5: VPF about 1 % of plays (NPAW errors per play, of which some are not fatal; Mux 2018).",
)
BITRATE_TV = Band(
    "bitrate_tv",
    "average bitrate on TVs (time-weighted)",
    "Mbps",
    3.5,
    6.5,
    (NETFLIX_ISP_INDEX, APPLE_HLS, CONVIVA_Q1_2022_VST),
    "Derived in the research doc (§1a) from the Netflix index (3.2-3.8 Mbps on cable and fiber, 2016) and the "
    "ladders' tops; 3.8 Mbps grown at 5 % a year to 2026 is 6.2, well under the +17.3 % a year Conviva measured "
    "in Q1 2022 (and NPAW's +9 % for H1 2025); the edge is 6.5 because TVs with 4K plans may average above 6.",
)
BITRATE_WEB = Band(
    "bitrate_web",
    "average bitrate on computers (time-weighted)",
    "Mbps",
    2.5,
    4.0,
    (NETFLIX_ISP_INDEX, APPLE_HLS),
    "Derived as BITRATE_TV, for 1080p-capped screens.",
)
BITRATE_MOBILE = Band(
    "bitrate_mobile",
    "average bitrate on phones (time-weighted)",
    "Mbps",
    1.2,
    2.5,
    (NETFLIX_ISP_INDEX, APPLE_HLS),
    "Derived as BITRATE_TV, for phones mostly on data-saving renditions over cellular.",
)
SWITCHES_PER_HOUR = Band(
    "switches_per_hour",
    "bitrate switches per hour of play",
    "/h",
    2.0,
    8.0,
    (DASHJS_SWITCH,),
    "Assumption (research doc §1a): no public benchmark; 2-8 per hour, more on mobile.",
)

BANDS: tuple[Band, ...] = (
    HOURS_PER_SUBSCRIBER_DAY,
    HOURS_SPREAD_CV,
    SESSIONS_PER_SUBSCRIBER_DAY,
    DAILY_ACTIVE_SHARE,
    OVER_PLAN_LIMIT_SHARE,
    DEVICE_OVERLAP_SHARE,
    DEVICE_SHARE_TV,
    DEVICE_SHARE_MOBILE,
    DEVICE_SHARE_WEB,
    DEVICE_SHARE_TABLET,
    DEVICE_SHARE_TV_NORTH_AMERICA,
    DEVICE_SHARE_TV_EUROPE,
    TV_SHARE_GAP,
    MOBILE_SHARE_TIER_GAP,
    DEVICES_PER_HOUSEHOLD,
    MINUTES_PER_PLAY,
    MINUTES_PER_PLAY_TV,
    MINUTES_PER_PLAY_MOBILE,
    MOBILE_TV_PLAY_RATIO,
    SHORT_PLAY_SHARE,
    COMPLETION_EPISODE,
    COMPLETION_FILM,
    COMPLETION_RATIO,
    BINGE_CHAINED_SHARE,
    BINGE_EPISODES_PER_SITTING,
    NEXT_DAY_CONTINUES,
    TOP_3PCT_HOURS_SHARE,
    TOP_10PCT_PLAYS_SHARE,
    SUNDAY_RANK,
    WEEKEND_DAYTIME_LIFT,
    PEAK_HOUR,
    PRIME_TIME_SHARE,
    MONTHLY_CHURN,
    MONTHLY_SIGNUPS,
    PLAYS_OUTSIDE_SUBSCRIPTION,
    PLAYS_BEFORE_RELEASE,
    STARTUP_P50,
    STARTUP_P95,
    VSF_SHARE,
    EBVS_SHARE,
    REBUFFERING_RATIO,
    STALLED_PLAY_SHARE,
    VPF_SHARE,
    BITRATE_TV,
    BITRATE_WEB,
    BITRATE_MOBILE,
    SWITCHES_PER_HOUR,
)
BANDS_BY_KEY: Mapping[str, Band] = {b.key: b for b in BANDS}

DEVICE_SHARE_BANDS: Mapping[str, Band] = {
    "tv": DEVICE_SHARE_TV,
    "mobile": DEVICE_SHARE_MOBILE,
    "web": DEVICE_SHARE_WEB,
    "tablet": DEVICE_SHARE_TABLET,
}
"""Device-share band of each `device_type`."""

MINUTES_PER_PLAY_BANDS: Mapping[str, Band] = {"tv": MINUTES_PER_PLAY_TV, "mobile": MINUTES_PER_PLAY_MOBILE}
"""Minutes-per-play band of the device types with a public figure."""

assert len(BANDS_BY_KEY) == len(BANDS), "band keys must be unique"


# --- ads (issue 17; docs/ads.md) ----------------------------------------------------------------------------------

AD_LOAD_PRESS = Source(
    "ad tiers' load, 2022-2025",
    "Netflix via Gizmodo; Disney+ via Variety/WSJ (Hindu BusinessLine); Max and Prime Video via Ars Technica",
    "Netflix Basic with Ads launch; Disney+ with ads; longer commercial breaks on ad tiers",
    2025,
    "Netflix 4-5 min/h (2022), Disney+ 4 min/h (2022), Peacock 5 min/h (2022), Max ~6 min/h and Prime Video "
    "~6 min/h (2025)",
    "https://gizmodo.com/netflix-netflix-with-ads-streaming-services-1849738107",
)
EXTREME_REACH = Source(
    "Extreme Reach 2019-2020",
    "Extreme Reach video benchmarks, via Cross Screen Media and MarketingCharts",
    "Video benchmarks 2019-Q2, full year 2019, 2020-Q1",
    2020,
    "completion rate of video ad impressions: CTV 95-97 %, tablet 87 %, desktop 74-83 %, mobile 78-81 %",
    "https://crossscreen.media/state-of-the-screens/extreme-reach-2020-q1-video-benchmarks/",
)
FREQUENCY_CAPS = Source(
    "Digiday / Marketing Brew",
    "Digiday; Marketing Brew",
    "WTF are frequency caps?; Seeing streaming ads on repeat? There's a fix",
    2021,
    "caps exist on Hulu and other CTV sellers; practitioners start at 3 impressions per household per day",
    "https://digiday.com/future-of-tv/wtf-are-frequency-caps",
)

AD_MINUTES_PER_HOUR = Band(
    "ad_minutes_per_hour",
    "minutes of ads started per hour of content played, viewers on ad tiers",
    "min",
    3.5,
    7.0,
    (AD_LOAD_PRESS,),
    "Light SVOD ad tiers promise 4-6 min/h; the world leaves opportunities unfilled where no live campaign that "
    "fits the viewer has cap left (Conviva: 16-46 % of ad opportunities missed, 2020-2021), so a little under "
    "the promise is accepted: 3.5-7 min/h.",
)
AD_COMPLETION_TV = Band(
    "ad_completion_tv",
    "ads on TV screens watched to the end (ad_complete / ad_start)",
    "%",
    93.0,
    97.0,
    (EXTREME_REACH,),
    "CTV 95-97 % in 2019-2020, widened by 2 points below.",
)
AD_COMPLETION_MOBILE = Band(
    "ad_completion_mobile",
    "ads on phones watched to the end (ad_complete / ad_start)",
    "%",
    75.0,
    85.0,
    (EXTREME_REACH,),
    "Mobile 78-81 % in 2019-2020, widened by about 3 points each way.",
)
AD_FREQUENCY_VIEWER_DAY = Band(
    "ad_frequency_viewer_day",
    "mean impressions of a campaign per viewer on a day the viewer saw it",
    "",
    1.0,
    3.0,
    (FREQUENCY_CAPS,),
    "The cap of 3 per campaign per viewer per day bounds it; most campaign-days of a viewer are a single break.",
)
AD_OVER_CAP_SHARE = Band(
    "ad_over_cap_share",
    "campaign-viewer-days over the frequency cap",
    "%",
    0.0,
    5.0,
    (FREQUENCY_CAPS,),
    "The schedule holds each campaign to 3 pairs per viewer-day; plays of one household that break in the same "
    "15 minutes (overlapping or back-to-back short plays, issue 16) can exceed it. Judgement: under 5 % until "
    "households' plays are scheduled one after another.",
)
AD_BANDS: tuple[Band, ...] = (
    AD_MINUTES_PER_HOUR,
    AD_COMPLETION_TV,
    AD_COMPLETION_MOBILE,
    AD_FREQUENCY_VIEWER_DAY,
    AD_OVER_CAP_SHARE,
)
"""Bands of the ad figures (`local.ad_figures.figures` of the events)."""
