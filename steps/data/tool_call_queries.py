"""Query templates of the SYNTHETIC tool-calling data: one pool for training, another for held-out tests.

A template names the arguments it mentions as `{argument}` (the call's arguments are exactly those, plus the
template's fixed ones); the two pools never share a template, a connector of two-call queries, or a query
that needs no tool. Queries stay short: the local model's context is small and every row lists its tools.
"""

from __future__ import annotations

from typing import Any

from steps.data.tool_catalogue import HELDOUT, TRAIN

Template = tuple[str, dict[str, Any]]  # (text, fixed arguments)

QUERIES: dict[str, dict[str, tuple[Template, ...]]] = {
    TRAIN: {
        "get_weather": (
            ("What's the weather in {city}?", {}),
            ("How is the weather in {city} right now?", {}),
            ("Is it sunny in {city} today?", {}),
        ),
        "get_forecast": (
            ("What's the forecast for {city} for the next {days} days?", {}),
            ("Will it rain in {city} in the next {days} days?", {}),
            ("Give me a {days}-day forecast for {city}.", {}),
        ),
        "convert_currency": (
            ("Convert {amount} {from_currency} to {to_currency}.", {}),
            ("How much is {amount} {from_currency} in {to_currency}?", {}),
            ("Change {amount} {from_currency} into {to_currency}.", {}),
        ),
        "get_exchange_rate": (
            ("What is the exchange rate from {base} to {target}?", {}),
            ("Show the {base} to {target} rate.", {}),
            ("How many {target} for one {base}?", {}),
        ),
        "get_stock_price": (
            ("What is the stock price of {symbol}?", {}),
            ("How much is {symbol} trading at?", {}),
            ("Get me the share price for {symbol}.", {}),
        ),
        "create_event": (
            ("Add {title} to my calendar on {date}.", {}),
            ("Schedule {title} on {date} at {time}.", {}),
            ("Put {title} in my calendar for {date} at {time}.", {}),
        ),
        "list_events": (
            ("What is on my calendar on {date}?", {}),
            ("List my events for {date}.", {}),
            ("Do I have anything planned on {date}?", {}),
        ),
        "search_flights": (
            ("Find flights from {origin} to {destination} on {date}.", {}),
            ("Search flights {origin} to {destination} for {date}.", {}),
            ("Find nonstop flights from {origin} to {destination} on {date}.", {"nonstop": True}),
        ),
        "get_flight_status": (
            ("Is flight {flight_number} on time?", {}),
            ("What is the status of flight {flight_number}?", {}),
            ("Check flight {flight_number} for me.", {}),
        ),
        "calculate": (
            ("What is {expression}?", {}),
            ("Calculate {expression}.", {}),
            ("Compute {expression} for me.", {}),
        ),
        "average": (
            ("What is the average of {numbers}?", {}),
            ("Find the mean of {numbers}.", {}),
            ("Average these numbers: {numbers}.", {}),
        ),
        "convert_units": (
            ("Convert {value} {from_unit} to {to_unit}.", {}),
            ("How many {to_unit} is {value} {from_unit}?", {}),
            ("Change {value} {from_unit} into {to_unit}.", {}),
        ),
        "translate_text": (
            ("Translate '{text}' into {target_language}.", {}),
            ("How do you say '{text}' in {target_language}?", {}),
            ("Say '{text}' in {target_language}.", {}),
        ),
        "detect_language": (
            ("Which language is '{text}'?", {}),
            ("Detect the language of '{text}'.", {}),
            ("What language is '{text}' written in?", {}),
        ),
        "get_time": (
            ("What time is it in {city}?", {}),
            ("Tell me the local time in {city}.", {}),
            ("What's the time in {city} now?", {}),
        ),
        "set_timer": (
            ("Set a timer for {minutes} minutes.", {}),
            ("Start a {minutes} minute timer.", {}),
            ("Remind me in {minutes} minutes.", {}),
        ),
        "get_news": (
            ("Show me the latest {topic} news.", {}),
            ("What's new in {topic}?", {}),
            ("Give me {count} {topic} headlines.", {}),
        ),
        "find_restaurants": (
            ("Find restaurants in {city}.", {}),
            ("Where can I eat {cuisine} food in {city}?", {}),
            ("Recommend {cuisine} food in {city}.", {}),
        ),
    },
    HELDOUT: {
        "get_weather": (("Tell me the current weather for {city}.", {}), ("Weather report for {city}, please.", {})),
        "get_forecast": (
            ("Forecast the weather in {city} over {days} days.", {}),
            ("How will the weather be in {city} during the coming {days} days?", {}),
        ),
        "convert_currency": (
            ("What do {amount} {from_currency} come to in {to_currency}?", {}),
            ("I need {amount} {from_currency} expressed in {to_currency}.", {}),
        ),
        "get_exchange_rate": (
            ("Current rate of {base} against {target}?", {}),
            ("Look up the {base} {target} exchange rate.", {}),
        ),
        "get_stock_price": (("Quote {symbol} stock for me.", {}), ("Where is {symbol} stock today?", {})),
        "create_event": (
            ("Book {title} for {date}.", {}),
            ("Create a calendar entry: {title}, {date}, {time}.", {}),
        ),
        "list_events": (("Show my agenda for {date}.", {}), ("Which meetings do I have on {date}?", {})),
        "search_flights": (
            ("Any flights between {origin} and {destination} on {date}?", {}),
            ("I want a direct flight from {origin} to {destination} on {date}.", {"nonstop": True}),
        ),
        "get_flight_status": (("Has {flight_number} landed yet?", {}), ("Track flight {flight_number}.", {})),
        "calculate": (("How much is {expression}?", {}), ("Work out {expression}.", {})),
        "average": (("Give me the mean value of {numbers}.", {}), ("Compute the average of {numbers}.", {})),
        "convert_units": (
            ("What is {value} {from_unit} in {to_unit}?", {}),
            ("Express {value} {from_unit} as {to_unit}.", {}),
        ),
        "translate_text": (
            ("Translate the phrase '{text}' to {target_language}.", {}),
            ("What is '{text}' in {target_language}?", {}),
        ),
        "detect_language": (("Identify the language: '{text}'.", {}), ("Tell me what language '{text}' is.", {})),
        "get_time": (("Current time in {city}?", {}), ("Which hour is it in {city}?", {})),
        "set_timer": (("Timer, {minutes} minutes please.", {}), ("Count down {minutes} minutes.", {})),
        "get_news": (("Any {topic} headlines today?", {}), ("I want {count} news stories about {topic}.", {})),
        "find_restaurants": (
            ("Good places to eat in {city}?", {}),
            ("Any {cuisine} restaurants around {city}?", {}),
        ),
    },
}

# Two-call queries: two one-call queries joined by a connector (the second one's first letter lowered).
CONNECTORS = {TRAIN: (" Also, ", " And "), HELDOUT: (" Then ", " Plus, ")}

GREETING = "Hello! How can I help you today?"
FINE = "I am fine, thank you. How can I help?"
WELCOME = "You are welcome."
# Queries no catalogue tool serves: (query, the expected reply; None: the converter's NO_CALL_TEXT).
NO_TOOL: dict[str, tuple[tuple[str, str | None], ...]] = {
    TRAIN: (
        ("Hello!", GREETING),
        ("Hi there, how are you?", FINE),
        ("Thanks a lot!", WELCOME),
        ("Thank you, that is all.", WELCOME),
        ("Order a pizza for me.", None),
        ("Play some jazz music.", None),
        ("Call a taxi to the airport.", None),
        ("Write a poem about the sea.", None),
        ("Turn off the lights.", None),
        ("Book a hotel room.", None),
    ),
    HELDOUT: (
        ("Good morning!", GREETING),
        ("Hey, what's up?", FINE),
        ("Many thanks.", WELCOME),
        ("Please send flowers to my mother.", None),
        ("Open the garage door.", None),
        ("Buy milk and bread online.", None),
    ),
}
