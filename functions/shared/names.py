"""Curated word lists and patterns for title, series and campaign names a person would believe.

Every name is one pattern below with each `{slot}` filled from that slot's word list, so these lists are the
whole vocabulary: it can be read, reviewed and blocklist-tested in one place, and no word enters a name from
anywhere else (brands come from the advertiser column). Lambda-safe: standard library only. Deterministic: the
namers draw only from the `random.Random` they are given or seed themselves with a string; no set iteration,
no hash(), no clock.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Mapping, Sequence

from functions.shared import domains

# --- Title vocabulary -------------------------------------------------------------------------------------------

ADJECTIVES = (
    "Last",
    "Silent",
    "Hidden",
    "Lost",
    "Distant",
    "Golden",
    "Quiet",
    "Broken",
    "Secret",
    "Forgotten",
    "Crimson",
    "Silver",
    "Northern",
    "Southern",
    "Wild",
    "Endless",
    "Burning",
    "Frozen",
    "Electric",
    "Restless",
    "Midnight",
    "Paper",
    "Glass",
    "Iron",
    "Velvet",
    "Final",
    "First",
    "Long",
    "Bright",
    "Dark",
    "Little",
    "Great",
    "Open",
    "Second",
    "Perfect",
    "Accidental",
    "Invisible",
    "Lucky",
    "Reluctant",
    "Unlikely",
    "Wandering",
    "Sleeping",
    "Fading",
    "Rising",
    "Borrowed",
    "Painted",
    "Salt",
    "Stolen",
)

NOUNS = (
    "Harbor",
    "Horizon",
    "River",
    "Garden",
    "Lighthouse",
    "Bridge",
    "Station",
    "Road",
    "House",
    "Island",
    "Valley",
    "Tide",
    "Storm",
    "Shore",
    "Promise",
    "Hour",
    "Line",
    "Sky",
    "Field",
    "Forest",
    "Mountain",
    "Coast",
    "Border",
    "Crossing",
    "Circle",
    "Hotel",
    "Orchard",
    "Window",
    "Train",
    "Lake",
    "Map",
    "Flame",
    "Key",
    "Mirror",
    "Season",
    "Winter",
    "Summer",
    "Meadow",
    "Canyon",
)

PLURALS = (
    "Echoes",
    "Tides",
    "Ghosts",
    "Lanterns",
    "Secrets",
    "Strangers",
    "Embers",
    "Waves",
    "Stars",
    "Shadows",
    "Wolves",
    "Rivers",
    "Voices",
    "Letters",
    "Bridges",
    "Dreams",
    "Storms",
    "Thieves",
    "Kings",
    "Sparrows",
    "Lights",
    "Heirs",
    "Summers",
    "Days",
    "Nights",
    "Roads",
    "Promises",
    "Islands",
    "Footsteps",
    "Fireflies",
)

CITIES = (
    "Lisbon",
    "Marseille",
    "Havana",
    "Kyoto",
    "Istanbul",
    "Tangier",
    "Prague",
    "Vienna",
    "Buenos Aires",
    "Naples",
    "Oslo",
    "Reykjavik",
    "Shanghai",
    "Mumbai",
    "Cairo",
    "Montreal",
    "Berlin",
    "Dublin",
    "Seville",
    "Casablanca",
    "Santorini",
    "Savannah",
    "Galveston",
    "Nantucket",
    "Brooklyn",
    "Trieste",
    "Valencia",
    "Edinburgh",
)
"""Place names that can start a title ("Lisbon Station")."""

REGIONS = (
    "the North",
    "the South",
    "the Valley",
    "the Delta",
    "the Highlands",
    "the Lowlands",
    "the Mountains",
    "the Borderlands",
    "the Islands",
    "the Old Town",
    "Provence",
    "Tuscany",
    "Patagonia",
    "Andalusia",
    "Big Sur",
)
"""Places that only follow "in" or "of" ("Echoes of the North", "Dusk in the Highlands")."""

TIMES = (
    "Midnight",
    "Dawn",
    "Dusk",
    "Winter",
    "Summer",
    "Autumn",
    "Spring",
    "August",
    "October",
    "December",
    "Sunday",
    "Nightfall",
    "Daybreak",
    "Moonrise",
)

GIVEN_NAMES = (
    "Clara",
    "Jonah",
    "Elena",
    "Marcus",
    "Nora",
    "Theo",
    "Iris",
    "Felix",
    "Mara",
    "Samuel",
    "Ada",
    "Oscar",
    "Lucia",
    "Tomas",
    "Ruth",
    "Caleb",
    "Ines",
    "Hugo",
    "Vera",
    "Milo",
)

FAMILY_NAMES = (
    "Hale",
    "Mercer",
    "Calloway",
    "Ashford",
    "Whitlock",
    "Sterling",
    "Bellamy",
    "Harrow",
    "Quinlan",
    "Marlowe",
    "Okafor",
    "Navarro",
    "Lindqvist",
    "Moreau",
    "Castellano",
    "Hayward",
    "Brennan",
    "Ellison",
    "Vance",
    "Kimura",
)

ROLES = (
    "Diplomat",
    "Cartographer",
    "Night Manager",
    "Lighthouse Keeper",
    "Negotiator",
    "Inspector",
    "Archivist",
    "Ambassador",
    "Surgeon",
    "Detective",
    "Fixer",
    "Magistrate",
    "Headmaster",
    "Curator",
    "Translator",
    "Chef",
    "Pilot",
    "Understudy",
    "Heiress",
    "Governor",
)
"""Leads of the "The Diplomat" kind of series."""

SETTINGS = ("Street", "Station", "County", "Heights", "Precinct", "General", "Bay", "Road", "Park", "Harbor")
"""Where an ensemble series happens, after a city ("Savannah Heights")."""

GENRE_NOUNS: Mapping[str, tuple[str, ...]] = {
    "Action": ("Strike", "Extraction", "Convoy", "Vendetta", "Ultimatum", "Pursuit", "Manhunt", "Crossfire"),
    "Comedy": ("Wedding", "Reunion", "Road Trip", "Weekend", "Honeymoon", "Office Party", "Internship", "Vacation"),
    "Drama": ("Inheritance", "Homecoming", "Reckoning", "Verdict", "Confession", "Estate", "Vigil", "Farewell"),
    "Thriller": ("Witness", "Informant", "Conspiracy", "Signal", "Safe House", "Alibi", "Deadline", "Stranger"),
    "Horror": ("Hollow", "Cellar", "Attic", "Haunting", "Curse", "Visitor", "Lullaby", "Ritual"),
    "Romance": ("Proposal", "Serenade", "Love Letter", "Rendezvous", "Waltz", "Engagement", "Valentine", "Sweetheart"),
    "Sci-Fi": ("Protocol", "Orbit", "Colony", "Singularity", "Paradox", "Outpost", "Eclipse", "Transmission"),
    "Fantasy": ("Crown", "Kingdom", "Sorcerer", "Dragon", "Prophecy", "Throne", "Oracle", "Labyrinth"),
    "Animation": ("Balloon", "Treehouse", "Robot", "Kite", "Snowman", "Moonbeam", "Toy Box", "Little Fox"),
    "Crime": ("Heist", "Affair", "Syndicate", "Score", "Racket", "Ledger", "Getaway", "Double Cross"),
    "Family": ("Holiday", "Summer Camp", "Adventure", "Sleepover", "Carnival", "Treasure Map", "Pony", "Snow Day"),
    "Mystery": ("Riddle", "Clue", "Disappearance", "Cipher", "Inquiry", "Manuscript", "Locket", "Case"),
    "Adventure": ("Expedition", "Voyage", "Compass", "Treasure", "Passage", "Odyssey", "Quest", "Summit"),
}
"""Nouns that give a fiction title its genre's flavour ("The Mercer Heist", "Wedding in Provence")."""

WILD_PLACES = (
    "Coral Reef",
    "Deep Ocean",
    "Arctic",
    "Amazon",
    "Sahara",
    "Himalayas",
    "Rainforest",
    "Tundra",
    "Mekong",
    "Galapagos",
    "Great Plains",
    "Kalahari",
    "Serengeti",
    "Outback",
    "Andes",
    "Everglades",
)
"""Natural places a nature documentary visits (they all take "the")."""

CREATURES = (
    "Octopuses",
    "Honeybees",
    "Wolves",
    "Elephants",
    "Owls",
    "Whales",
    "Orcas",
    "Foxes",
    "Penguins",
    "Ants",
    "Crows",
    "Sea Turtles",
    "Snow Leopards",
    "Hummingbirds",
)

HISTORY_TOPICS = (
    "Space Race",
    "Jazz Age",
    "Silk Road",
    "Moon Landing",
    "Gold Rush",
    "Berlin Wall",
    "Printing Press",
    "Transatlantic Cable",
    "Great Flood",
    "Lost Expedition",
    "First Marathon",
    "Grand Tour",
    "Titanic",
    "Orient Express",
)
"""Events and eras a history documentary tells (they all take "the")."""

TRADES = (
    "Lighthouse Keepers",
    "Glassblowers",
    "Shepherds",
    "Clockmakers",
    "Ferrymen",
    "Beekeepers",
    "Luthiers",
    "Weavers",
    "Blacksmiths",
    "Cartographers",
    "Pearl Divers",
    "Smokejumpers",
)
"""Crafts and callings a portrait documentary follows."""

PLACES = CITIES + REGIONS

TITLE_SLOTS: Mapping[str, tuple[str, ...]] = {
    "adj": ADJECTIVES,
    "noun": NOUNS,
    "plural": PLURALS,
    "city": CITIES,
    "place": PLACES,
    "time": TIMES,
    "given": GIVEN_NAMES,
    "family": FAMILY_NAMES,
    "family2": FAMILY_NAMES,
    "role": ROLES,
    "setting": SETTINGS,
    "wild": WILD_PLACES,
    "creatures": CREATURES,
    "history": HISTORY_TOPICS,
    "trades": TRADES,
}
"""Word list of each title slot; `{gnoun}` takes GENRE_NOUNS of the title's genre instead."""

TITLE_PATTERNS: Mapping[str, tuple[str, ...]] = {
    "movie": (
        "The {adj} {noun}",
        "The {adj} {gnoun}",
        "{time} in {place}",
        "{plural} of {place}",
        "The {gnoun}",
        "{adj} {plural}",
        "Finding {given}",
        "The {family} {gnoun}",
        "{gnoun} in {place}",
        "After the {gnoun}",
        "The {noun} of {plural}",
        "{given} and the {gnoun}",
    ),
    "series": (
        "The {role}",
        "The {adj} {role}",
        "{family} & {family2}",
        "{city} {setting}",
        "The {gnoun}",
        "House of {plural}",
        "{adj} {plural}",
        "{plural} of {place}",
        "The {family}s",
    ),
    "documentary": (
        "Inside the {wild}",
        "Life in the {wild}",
        "Seasons of the {wild}",
        "The {wild} from Above",
        "The Secret Life of {creatures}",
        "Chasing {creatures}",
        "Among {creatures}",
        "The {history}: The Untold Story",
        "Remembering the {history}",
        "Voices from the {history}",
        "The Last {trades}",
        "A Year with the {trades}",
        "The {trades} of {city}",
        "{city} After Dark",
        "The Sound of {city}",
    ),
}
"""Patterns by title type. Fiction patterns and documentary patterns share no shape: a documentary always names a
wild place, creatures, a history topic, a trade or a city's portrait, and no fiction pattern does."""

SEQUEL_SEPARATOR = " "
"""A name every pattern has used up gets the next free number after it ("The Last Harbor 2"), like a sequel."""

_NAME_ATTEMPTS = 12
_SLOT = re.compile(r"\{(\w+)\}")


def _compile(patterns: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each pattern with the slot names it fills, in order, so a name draws only the words it uses."""
    return tuple((p, tuple(_SLOT.findall(p))) for p in patterns)


_COMPILED_TITLES = {kind: _compile(patterns) for kind, patterns in TITLE_PATTERNS.items()}
_FICTION_GENRES = tuple(g for g in domains.GENRES if g != "Documentary")
if set(GENRE_NOUNS) != set(_FICTION_GENRES):
    raise AssertionError(f"GENRE_NOUNS must cover exactly the fiction genres {_FICTION_GENRES}")
_TITLE_POOLS = {genre: {**TITLE_SLOTS, "gnoun": GENRE_NOUNS.get(genre, ())} for genre in domains.GENRES}


def _unique_name(
    rng: random.Random,
    patterns: Sequence[tuple[str, tuple[str, ...]]],
    pools: Mapping[str, tuple[str, ...]],
    taken: set[str],
    separator: str,
) -> str:
    """A name from `patterns` not in `taken` (redrawn a few times, then numbered), added to `taken`."""
    for _ in range(_NAME_ATTEMPTS):
        pattern, slots = patterns[rng.randrange(len(patterns))]
        name = _fill(rng, pattern, slots, pools)
        if name not in taken:
            break
    n = 2
    base = name
    while name in taken:
        name = f"{base}{separator}{n}"
        n += 1
    taken.add(name)
    return name


def _fill(rng: random.Random, pattern: str, slots: tuple[str, ...], pools: Mapping[str, tuple[str, ...]]) -> str:
    words = {}
    for slot in slots:
        pool = pools[slot]
        words[slot] = pool[rng.randrange(len(pool))]
    return pattern.format_map(words)


class TitleNamer:
    """Names titles of one table from its own stream, each name unique within the table."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"title-names:{seed}")
        self._taken: set[str] = set()

    def name(self, title_type: str, genre: str) -> str:
        """A fresh name of a `title_type` pattern; a fiction name takes its flavour from `genre`."""
        return _unique_name(self._rng, _COMPILED_TITLES[title_type], _TITLE_POOLS[genre], self._taken, SEQUEL_SEPARATOR)


# --- Campaign vocabulary ----------------------------------------------------------------------------------------

SEASONS_BY_MONTH: Mapping[int, str] = {
    1: "Winter",
    2: "Winter",
    3: "Spring",
    4: "Spring",
    5: "Spring",
    6: "Summer",
    7: "Summer",
    8: "Summer",
    9: "Fall",
    10: "Fall",
    11: "Fall",
    12: "Winter",
}
"""Northern-hemisphere season of a campaign's start month (the advertisers' home market)."""

RETAIL_MOMENTS_BY_MONTH: Mapping[int, str] = {
    1: "New Year",
    2: "Presidents' Day",
    5: "Memorial Day",
    7: "Fourth of July",
    8: "Back to School",
    11: "Black Friday",
    12: "Holiday",
}
"""The retail calendar's moment for a start month, where it has one."""

INDUSTRY_PRODUCTS: Mapping[str, tuple[str, ...]] = {
    "Automotive": ("EV", "Hybrid SUV", "Crossover", "Pickup", "Sedan"),
    "Consumer Electronics": ("Earbuds", "Smartwatch", "Laptop", "Soundbar", "Tablet"),
    "Financial Services": ("Rewards Card", "Savings Account", "Mobile Banking", "Travel Card", "Home Loans"),
    "Food & Beverage": ("Cold Brew", "Sparkling Water", "Snack Bars", "Plant-Based Burger", "Breakfast Menu"),
    "Retail": ("Home Collection", "Activewear Line", "Rewards Program", "Same-Day Delivery", "Outlet Collection"),
    "Travel": ("Nonstop Routes", "Loyalty Program", "Premium Cabin", "Vacation Packages", "Weekend Getaways"),
    "Telecommunications": ("5G Plan", "Fiber Internet", "Unlimited Plan", "Family Plan", "Prepaid Plan"),
    "Gaming": ("Expansion", "Season Pass", "Console Bundle", "Mobile Game", "Collector's Edition"),
    "Health & Wellness": ("Fitness App", "Sleep Tracker", "Vitamin Line", "Meditation App", "Telehealth Visits"),
    "Entertainment": ("Streaming Bundle", "Concert Tour", "Live Events", "Theme Park Passes", "Podcast"),
}

INDUSTRY_OFFERS: Mapping[str, tuple[str, ...]] = {
    "Automotive": ("Sales Event", "Lease Offers"),
    "Consumer Electronics": ("Sale", "Deals"),
    "Financial Services": ("Bonus Offer", "Rate Offer"),
    "Food & Beverage": ("Menu", "Flavors"),
    "Retail": ("Sale", "Savings Event"),
    "Travel": ("Fare Sale", "Getaway Deals"),
    "Telecommunications": ("Deals", "Switch Offer"),
    "Gaming": ("Sale", "Bundle Deals"),
    "Health & Wellness": ("Reset", "Challenge"),
    "Entertainment": ("Lineup", "Premieres"),
}
"""What a seasonal campaign of each industry sells ("Winter Fare Sale", "Fall Lineup")."""

OBJECTIVE_GOALS: Mapping[str, tuple[str, ...]] = {
    "reach": ("Reach Extension", "Awareness Flight"),
    "video_views": ("Video Views Push", "Completed Views Drive"),
    "traffic": ("Site Traffic Drive", "Web Visits Push"),
    "conversions": ("Sign-Up Drive", "Conversion Push"),
    "app_installs": ("App Install Drive", "App Download Push"),
}
"""How a performance campaign names its goal; only the goal of the campaign's own objective is used."""

TAGLINES = (
    "Made for More",
    "Go Further",
    "Life, Upgraded",
    "Here for You",
    "Feel the Difference",
    "Built to Last",
    "Start Something",
    "Right Where You Are",
    "Every Day, Better",
    "For the Moments That Matter",
)

CAMPAIGN_PATTERNS: Mapping[str, tuple[str, ...]] = {
    "seasonal": (
        "{brand} {season} {offer} {year}",
        "{brand} {season} {offer}",
        "{brand} {moment} {offer} {year}",
    ),
    "product_launch": (
        "{brand} {product} Launch",
        "{brand} {product} Launch {year}",
        "Introducing {brand} {product}",
        "{brand} {season} Launch",
    ),
    "brand_awareness": (
        "{brand} Brand Campaign {year}",
        "{brand}: {tagline}",
        "{brand} Always-On {year}",
        "{brand} {season} Brand Flight",
    ),
    "performance": (
        "{brand} {goal} {quarter} {year}",
        "{brand} {product} {goal}",
        "{brand} {goal} {year}",
    ),
    "retargeting": (
        "{brand} Win-Back {quarter} {year}",
        "{brand} Come Back Offer",
        "{brand} {product} Retargeting",
        "{brand} Lapsed Customer Offer {year}",
    ),
}
"""Campaign name patterns by campaign_type. {season}, {moment}, {quarter} and {year} come from the start date,
{product} and {offer} from the industry, {goal} from the objective, {brand} from the advertiser's name."""

REPEAT_SEPARATOR = " - Flight "
"""A campaign name the advertiser already used gets the flight number ("Acme Winter Sale 2025 - Flight 2")."""

_COMPILED_CAMPAIGNS = {kind: _compile(patterns) for kind, patterns in CAMPAIGN_PATTERNS.items()}
_CORPORATE_SUFFIX = re.compile(
    r"(?:,?\s+(?:Inc\.?|Incorporated|Corp\.?|Corporation|Company|Co\.|LLC|Ltd\.?|Limited|plc|Group|Holdings?"
    r"|and Co\.?|& Co\.?))+$"
)
if set(CAMPAIGN_PATTERNS) != set(domains.CAMPAIGN_TYPES):
    raise AssertionError(f"CAMPAIGN_PATTERNS must cover exactly {domains.CAMPAIGN_TYPES}")
if set(INDUSTRY_PRODUCTS) != set(domains.AD_INDUSTRIES) or set(INDUSTRY_OFFERS) != set(domains.AD_INDUSTRIES):
    raise AssertionError(f"INDUSTRY_PRODUCTS and INDUSTRY_OFFERS must cover exactly {domains.AD_INDUSTRIES}")
if set(OBJECTIVE_GOALS) != set(domains.CAMPAIGN_OBJECTIVES):
    raise AssertionError(f"OBJECTIVE_GOALS must cover exactly {domains.CAMPAIGN_OBJECTIVES}")


UNFIT_BRAND_WORDS = frozenset({"sexy", "sexsi", "seksi", "babe", "dick", "nude", "naked", "porn", "xxx"})
"""Words that rule a company out as an advertiser: mimesis' company list has a few novelty names ("Sexy Babe")
and some that read as anatomy, which would then show up in every campaign name of theirs."""


def is_fit_brand(company: str) -> bool:
    """Whether a company's name may stand in campaign names (no word of UNFIT_BRAND_WORDS, any case)."""
    return UNFIT_BRAND_WORDS.isdisjoint(re.findall(r"[a-z]+", company.lower()))


def brand_name(advertiser: str) -> str:
    """The name an advertiser goes by in its campaigns: its company name without the legal form or a former name."""
    current = advertiser.split(", formerly ")[0]
    return _CORPORATE_SUFFIX.sub("", current) or current


def campaign_slots(advertiser: str, industry: str, objective: str, start: dt.date) -> dict[str, tuple[str, ...]]:
    """Word list of each campaign slot for one campaign; date, industry and objective slots fit that campaign."""
    moment = RETAIL_MOMENTS_BY_MONTH.get(start.month)
    return {
        "brand": (brand_name(advertiser),),
        "season": (SEASONS_BY_MONTH[start.month],),
        "moment": (moment or SEASONS_BY_MONTH[start.month],),
        "year": (str(start.year),),
        "quarter": (f"Q{(start.month - 1) // 3 + 1}",),
        "product": INDUSTRY_PRODUCTS[industry],
        "offer": INDUSTRY_OFFERS[industry],
        "goal": OBJECTIVE_GOALS[objective],
        "tagline": TAGLINES,
    }


class CampaignNamer:
    """Names campaigns of one table from its own stream, each name unique within the table."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"campaign-names:{seed}")
        self._taken: set[str] = set()

    def name(self, advertiser: str, campaign_type: str, industry: str, objective: str, start: dt.date) -> str:
        """A fresh `campaign_type` name that agrees with the advertiser, industry, objective and start date."""
        pools = campaign_slots(advertiser, industry, objective, start)
        return _unique_name(self._rng, _COMPILED_CAMPAIGNS[campaign_type], pools, self._taken, REPEAT_SEPARATOR)
