"""The fixed catalogue of SYNTHETIC tools (xLAM layout) and the argument values queries draw from.

Eighteen invented tools over eight domains, with Python-style parameter types as xLAM writes them
(`str`, `int`, `float`, `List[float]`, `"str, optional"`, `Optional[int]`, `"bool, optional"`). Each kind
of argument value has two disjoint pools: one for training queries, one for held-out test queries, so a
test query never repeats a value the model was trained on (`tests/unit/test_synthetic_tool_calls.py`).
"""

from __future__ import annotations

import random
from typing import Any

TRAIN, HELDOUT = "train", "heldout"
SPLITS = (TRAIN, HELDOUT)


def _tool(name: str, description: str, **parameters: tuple[Any, ...]) -> dict[str, Any]:
    """An xLAM tool; each parameter is (type, description) or (type, description, default)."""
    spec = {
        argument: {"description": p[1], "type": p[0], **({"default": p[2]} if len(p) > 2 else {})}
        for argument, p in parameters.items()
    }
    return {"name": name, "description": description, "parameters": spec}


TOOLS: dict[str, dict[str, Any]] = {
    tool["name"]: tool
    for tool in (
        _tool(
            "get_weather",
            "Current weather in a city.",
            city=("str", "City name."),
            unit=("str, optional", "celsius or fahrenheit.", "celsius"),
        ),
        _tool(
            "get_forecast",
            "Weather forecast for the coming days.",
            city=("str", "City name."),
            days=("int", "Number of days."),
        ),
        _tool(
            "convert_currency",
            "Convert money between currencies.",
            amount=("float", "Amount to convert."),
            from_currency=("str", "Currency code to convert from."),
            to_currency=("str", "Currency code to convert to."),
        ),
        _tool("get_exchange_rate", "Exchange rate of two currencies.", base=("str", "Code."), target=("str", "Code.")),
        _tool("get_stock_price", "Latest price of a stock.", symbol=("str", "Ticker symbol.")),
        _tool(
            "create_event",
            "Add an event to the calendar.",
            title=("str", "What the event is."),
            date=("str", "Date, YYYY-MM-DD."),
            time=("str, optional", "Start time, HH:MM."),
        ),
        _tool("list_events", "Events in the calendar on a date.", date=("str", "Date, YYYY-MM-DD.")),
        _tool(
            "search_flights",
            "Find flights between two cities.",
            origin=("str", "From city."),
            destination=("str", "To city."),
            date=("str", "Date, YYYY-MM-DD."),
            nonstop=("bool, optional", "Only direct flights.", False),
        ),
        _tool("get_flight_status", "Status of a flight.", flight_number=("str", "Flight number.")),
        _tool("calculate", "Evaluate an arithmetic expression.", expression=("str", "The expression.")),
        _tool("average", "Mean of a list of numbers.", numbers=("List[float]", "The numbers.")),
        _tool(
            "convert_units",
            "Convert a measurement to another unit.",
            value=("float", "The value."),
            from_unit=("str", "Unit of the value."),
            to_unit=("str", "Unit to convert to."),
        ),
        _tool(
            "translate_text",
            "Translate text into a language.",
            text=("str", "Text to translate."),
            target_language=("str", "Language to translate into."),
        ),
        _tool("detect_language", "Detect the language of a text.", text=("str", "The text.")),
        _tool("get_time", "Current local time in a city.", city=("str", "City name.")),
        _tool("set_timer", "Start a countdown timer.", minutes=("int", "Length in minutes.")),
        _tool(
            "get_news",
            "Latest news on a topic.",
            topic=("str", "The topic."),
            count=("Optional[int]", "How many stories.", 5),
        ),
        _tool(
            "find_restaurants",
            "Restaurants in a city.",
            city=("str", "City name."),
            cuisine=("str, optional", "Kind of food."),
        ),
    )
}

# Pool name -> (training values, held-out values): no held-out value is a training value of any pool.
POOLS: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {
    "city": (
        (
            *("Paris", "Oslo", "Berlin", "Madrid", "Rome", "Vienna", "Dublin", "Lisbon", "Prague", "Warsaw"),
            *("Athens", "Zurich", "Tokyo", "Seoul", "Boston", "Denver", "Toronto", "Sydney"),
        ),
        (
            *("Lima", "Quito", "Nairobi", "Cairo", "Dakar", "Hanoi", "Manila", "Perth", "Austin", "Calgary"),
            *("Porto", "Milan", "Munich", "Riga"),
        ),
    ),
    "currency": (("USD", "EUR", "GBP", "JPY", "CHF", "CAD"), ("AUD", "SEK", "NOK", "MXN", "INR", "BRL")),
    "amount": (
        (20, 40, 50, 60, 75, 90, 100, 120, 200, 250, 300, 480, 600, 1000, 1500),
        (35, 45, 65, 85, 110, 140, 175, 220, 330, 450, 700, 1200),
    ),
    "days": ((2, 3, 4, 5), (7, 9, 11, 14)),
    "stock": (("AAPL", "MSFT", "NVDA", "AMZN", "GOOG"), ("TSLA", "META", "INTC", "ORCL", "IBM")),
    "event": (
        ("team meeting", "dentist visit", "yoga class", "project review", "gym session", "book club"),
        ("piano lesson", "board meeting", "doctor visit", "code review", "tennis match"),
    ),
    "clock": (("09:00", "10:30", "14:00", "16:30", "18:00"), ("08:15", "11:45", "13:20", "17:40", "19:50")),
    "measure": ((5, 10, 12, 20, 25, 42), (7, 13, 17, 19, 33, 64)),
    "unit_pair": (
        (("km", "miles"), ("kg", "pounds"), ("liters", "gallons")),
        (("meters", "feet"), ("inches", "cm"), ("ounces", "grams")),
    ),
    "phrase": (
        ("good morning", "thank you", "see you soon", "where is the station", "I love this city"),
        ("good night", "how are you", "happy birthday", "the bill please", "nice to meet you"),
    ),
    "foreign": (
        ("bonjour tout le monde", "hola amigo", "guten Tag", "buongiorno"),
        ("dzien dobry", "kalimera", "god morgon", "merhaba"),
    ),
    "language": (("French", "Spanish", "German", "Italian", "Japanese"), ("Dutch", "Polish", "Greek", "Swedish")),
    "minutes": ((5, 10, 15, 20, 25, 30), (14, 16, 35, 45, 55, 65)),
    "topic": (("sports", "science", "music", "movies"), ("politics", "travel", "health", "economy")),
    "count": ((3, 4, 6, 8), (7, 9, 11, 13)),
    "cuisine": (("italian", "thai", "mexican", "japanese"), ("indian", "greek", "korean", "vietnamese")),
    "flight_prefix": (("AF", "LH", "BA", "UA"), ("KL", "IB", "AZ", "DL")),
}
# Generated values: flight numbers, dates, expressions and number lists from split-specific ranges.
_YEAR = {TRAIN: 2025, HELDOUT: 2026}
_FLIGHT = {TRAIN: (100, 499), HELDOUT: (500, 999)}
_OPERAND = {TRAIN: (2, 49), HELDOUT: (51, 99)}
_OPERATORS = {TRAIN: ("+", "*"), HELDOUT: ("-", "/")}
# Arguments that draw from a pool other than their own name's.
_POOL_OF = {
    "origin": "city",
    "destination": "city",
    "from_currency": "currency",
    "to_currency": "currency",
    "base": "currency",
    "target": "currency",
    "symbol": "stock",
    "title": "event",
    "time": "clock",
    "target_language": "language",
    ("translate_text", "text"): "phrase",
    ("detect_language", "text"): "foreign",
    ("convert_units", "value"): "measure",
}
PAIRS = {("origin", "destination"), ("from_currency", "to_currency"), ("base", "target")}  # two different values


def pool(name: str, split: str) -> tuple[Any, ...]:
    return POOLS[name][SPLITS.index(split)]


def value(tool: str, argument: str, split: str, rng: random.Random) -> Any:
    """A value for one argument of one tool, from the split's pool or range."""
    low, high = _OPERAND[split]
    if argument == "date":
        return f"{_YEAR[split]}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if argument == "flight_number":
        return f"{rng.choice(pool('flight_prefix', split))}{rng.randint(*_FLIGHT[split])}"
    if argument == "expression":
        return f"{rng.randint(low, high)} {rng.choice(_OPERATORS[split])} {rng.randint(low, high)}"
    if argument == "numbers":
        return sorted(rng.sample(range(low, high + 1), rng.choice((2, 3, 4))))
    name = _POOL_OF.get((tool, argument)) or _POOL_OF.get(argument) or argument
    return rng.choice(pool(name, split))


def draw_arguments(tool: str, arguments: list[str], split: str, rng: random.Random) -> dict[str, Any]:
    """Values for the named arguments of `tool` (in the tool's parameter order); pairs never repeat a value."""
    drawn: dict[str, Any] = {}
    if "from_unit" in arguments:
        drawn["from_unit"], drawn["to_unit"] = rng.choice(pool("unit_pair", split))
    for argument in arguments:
        if argument in drawn:
            continue
        partner = next((a if b == argument else b for a, b in PAIRS if argument in (a, b)), None)
        choice = value(tool, argument, split, rng)
        while partner is not None and drawn.get(partner) == choice:
            choice = value(tool, argument, split, rng)
        drawn[argument] = choice
    order = list(TOOLS[tool]["parameters"])
    return {argument: drawn[argument] for argument in sorted(drawn, key=order.index)}


def generated_values(split: str) -> dict[str, Any]:
    """The ranges generated values come from (for the test that train and held-out values never meet)."""
    return {"year": _YEAR[split], "flight": _FLIGHT[split], "operand": _OPERAND[split], "operators": _OPERATORS[split]}
