"""Deterministic, project-generated text corpus for the base model's tokenizer (and general pre-training text).

Everything is generated from templates with a seeded `random.Random`: English-ish prose, numbers,
dates, amounts, JSON, billing tables, tool calls and the prompt shapes of the regression benchmarks
(GSM8K, SQuAD, TriviaQA), using the synthetic generators of `steps.data.smoke_benchmarks`.
"""

from __future__ import annotations

import json
import random

from steps.data import smoke_benchmarks as smoke
from steps.data.smoke_squad import squad_rows
from steps.data.smoke_words import invented_word

# About 1,100 common English words (rank order roughly by frequency), so the BPE learns real words.
_COMMON_WORDS = """
the of and to a in is it you that he was for on are with as I his they be at one have this from or
had by not word but what some we can out other were all there when up use your how said an each she
which do their time if will way about many then them write would like so these her long make thing
see him two has look more day could go come did number sound no most people my over know water than
call first who may down side been now find any new work part take get place made live where after
back little only round man year came show every good me give our under name very through just form
sentence great think say help low line differ turn cause much mean before move right boy old too
same tell does set three want air well also play small end put home read hand port large spell add
even land here must big high such follow act why ask men change went light kind off need house
picture try us again animal point mother world near build self earth father head stand own page
should country found answer school grow study still learn plant cover food sun four between state
keep eye never last let thought city tree cross farm hard start might story saw far sea draw left
late run while press close night real life few north open seem together next white children begin
got walk example ease paper group always music those both mark often letter until mile river car
feet care second book carry took science eat room friend began idea fish mountain stop once base
hear horse cut sure watch color face wood main enough plain girl usual young ready above ever red
list though feel talk bird soon body dog family direct pose leave song measure door product black
short numeral class wind question happen complete ship area half rock order fire south problem piece
told knew pass since top whole king space heard best hour better true during hundred five remember
step early hold west ground interest reach fast verb sing listen six table travel less morning ten
simple several vowel toward war lay against pattern slow center love person money serve appear road
map rain rule govern pull cold notice voice unit power town fine certain fly fall lead cry dark
machine note wait plan figure star box noun field rest correct able pound done beauty drive stood
contain front teach week final gave green quick develop ocean warm free minute strong special mind
behind clear tail produce fact street inch multiply nothing course stay wheel full force blue object
decide surface deep moon island foot system busy test record boat common gold possible plane stead
dry wonder laugh thousand ago ran check game shape equate miss brought heat snow tire bring yes
distant fill east paint language among grand ball yet wave drop heart present heavy dance engine
position arm wide sail material size vary settle speak weight general ice matter circle pair include
divide syllable felt perhaps pick sudden count square reason length represent art subject region
energy hunt probable bed brother egg ride cell believe fraction forest sit race window store summer
train sleep prove lone exercise wall catch mount wish sky board joy winter sat written wild
instrument kept glass grass cow job edge sign visit past soft fun bright gas weather month million
bear finish happy hope flower clothe strange gone jump baby eight village meet root buy raise solve
metal whether push seven paragraph third shall held hair describe cook floor either result burn hill
safe cat century consider type law bit coast copy phrase silent tall sand soil roll temperature
finger industry value fight lie beat excite natural view sense ear else quite broke case middle kill
son lake moment scale loud spring observe child straight consonant nation dictionary milk speed
method organ pay age section dress cloud surprise quiet stone tiny climb cool design poor lot
experiment bottom key iron single stick flat twenty skin smile crease hole trade melody trip office
receive row mouth exact symbol die least trouble shout except wrote seed tone join suggest clean
break lady yard rise bad blow oil blood touch grew cent mix team wire cost lost brown wear garden
equal sent choose fell fit flow fair bank collect save control decimal gentle woman captain practice
separate difficult doctor please protect noon whose locate ring character insect caught period
indicate radio spoke atom human history effect electric expect crop modern element hit student
corner party supply bone rail imagine provide agree thus capital chair danger fruit rich thick
soldier process operate guess necessary sharp wing create neighbor wash bat rather crowd corn
compare poem string bell depend meat rub tube famous dollar stream fear sight thin triangle planet
hurry chief colony clock mine tie enter major fresh search send yellow gun allow print dead spot
desert suit current lift rose continue block chart hat sell success company subtract event
particular deal swim term opposite wife shoe shoulder spread arrange camp invent cotton born
determine quart nine truck noise level chance gather shop stretch throw shine property column
molecule select wrong gray repeat require broad prepare salt nose plural anger claim continent
oxygen sugar death pretty skill women season solution magnet silver thank branch match suffix
especially fig afraid huge sister steel discuss forward similar guide experience score apple bought
led pitch coat mass card band rope slip win dream evening condition feed tool total basic smell
valley nor double seat arrive master track parent shore division sheet substance favor connect post
spend chord fat glad original share station dad bread charge proper bar offer segment slave duck
instant market degree populate chick dear enemy reply drink occur support speech nature range steam
motion path liquid log meant quotient teeth shell neck bill charged account customer invoice payment
data phone service monthly balance due amount fee roaming upgrade refund credit debit email address
received explain because whom per percent twice quarter dollars cents hours minutes seconds days
weeks months years miles meters pounds kilograms liters tickets pages cookies apples pencils books
students teachers workers boxes bags cups eggs ducks chickens cars sells buys sold pays paid earns
earned spends spent costs remaining altogether fewer gives takes makes needs needed wants wanted
uses used Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
June July August September October November December title background context false null none
""".split()  # noqa: SIM905 -- a word block reads better than a list literal of ~900 strings

_SUBJECTS = (
    "the customer",
    "our team",
    "the engineer",
    "a small company",
    "the city council",
    "my sister",
    "the new model",
    "the support agent",
    "every student",
    "the old library",
    "the manager",
)
_VERBS = (
    "checked",
    "paid",
    "explained",
    "moved",
    "wrote",
    "answered",
    "reviewed",
    "opened",
    "found",
    "sent",
    "updated",
    "cancelled",
    "received",
    "compared",
    "measured",
    "repaired",
)
_OBJECTS = (
    "the invoice",
    "a long letter",
    "the monthly bill",
    "three reports",
    "the contract",
    "an old map",
    "the data plan",
    "the phone number",
    "a question",
    "the final answer",
    "the account",
    "the roaming charges",
    "a short story",
    "the weather report",
)
_ADVERBS = (
    "yesterday",
    "last week",
    "on Monday",
    "in the morning",
    "after lunch",
    "again",
    "quickly",
    "carefully",
    "at last",
    "before the meeting",
    "in March",
    "every day",
)
_CONNECT = ("because", "although", "when", "after", "so", "but", "and then", "while")
_WORDS = (
    "time",
    "people",
    "year",
    "way",
    "day",
    "thing",
    "world",
    "life",
    "hand",
    "part",
    "child",
    "place",
    "case",
    "week",
    "number",
    "group",
    "problem",
    "fact",
    "water",
    "money",
    "price",
    "river",
    "country",
    "capital",
    "history",
    "music",
    "science",
    "question",
    "answer",
    "story",
)
_ZIPF = [1.0 / (rank + 10) for rank in range(len(_COMMON_WORDS))]
_ROLES = ("system", "user", "assistant")
_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF")
_TOOLS = ("get_weather", "lookup_bill", "send_email", "create_ticket", "convert_currency", "search_docs")


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1990, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _amount(rng: random.Random) -> str:
    return f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}"


def _sentence(rng: random.Random) -> str:
    s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_ADVERBS)}"
    if rng.random() < 0.4:
        s += f", {rng.choice(_CONNECT)} {rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
    end = rng.choice((".", ".", ".", "!", "?"))
    return s[0].upper() + s[1:] + end


def _prose(rng: random.Random) -> str:
    parts = [_sentence(rng) for _ in range(rng.randint(2, 6))]
    if rng.random() < 0.5:
        parts.append(
            f"The {rng.choice(_WORDS)} of {rng.randint(2, 2000)} {rng.choice(_WORDS)}s was "
            f"{rng.randint(1, 99)}% higher on {_date(rng)}."
        )
    return " ".join(parts)


def _word_soup(rng: random.Random) -> str:
    """Zipf-weighted sequences of common words with punctuation: English-ish text."""
    sentences = []
    for _ in range(rng.randint(1, 5)):
        words = rng.choices(_COMMON_WORDS, _ZIPF, k=rng.randint(4, 18))
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), str(rng.choice((rng.randint(0, 99), rng.randint(100, 99999)))))
        text = " ".join(words)
        if rng.random() < 0.2:
            cut = rng.randrange(1, len(words))
            text = " ".join(words[:cut]) + ", " + " ".join(words[cut:])
        sentences.append(text[0].upper() + text[1:] + rng.choice((".", ".", ".", "?", "!", ":")))
    return " ".join(sentences)


def _billing(rng: random.Random) -> str:
    lines = [
        f"{_amount(rng)} {rng.choice(_CURRENCIES)} | B-{rng.randint(10000, 99999)} | {_date(rng)}"
        for _ in range(rng.randint(3, 5))
    ]
    answer = {
        "bill_found": rng.choice(("true", "false")),
        "bill_id": f"B-{rng.randint(10000, 99999)}",
        "bill_date": _date(rng),
    }
    return (
        "Extract the bill as JSON with keys bill_found, bill_id, bill_date.\nCustomer bills:\n"
        + "\n".join(lines)
        + f"\nI was charged {_amount(rng)} USD, which bill is that?\n"
        + json.dumps(answer)
    )


def _tool_call(rng: random.Random) -> str:
    call = {
        "name": rng.choice(_TOOLS),
        "arguments": {
            "city": invented_word(rng),
            "date": _date(rng),
            "amount": float(_amount(rng)),
            "limit": rng.randint(1, 50),
            "verbose": rng.random() < 0.5,
        },
    }
    return json.dumps({"tool_calls": [{"type": "function", "function": call}]}, indent=rng.choice((None, 2)))


def _chat(rng: random.Random) -> str:
    return "\n".join(f"{role}: {_sentence(rng)}" for role in _ROLES)


def _gsm8k(rng: random.Random) -> str:
    question, answer, _ = smoke.gsm8k_problem(rng)
    return f"Question: {question}\nAnswer: {answer}"


def _squad_and_trivia(seed: int, n: int) -> list[str]:
    texts = []
    for row in squad_rows(seed, n):
        texts.append(
            f"Title: {row['title']}\n\nBackground: {row['context']}\n\nQuestion: {row['question']}"
            f"\n\nAnswer: {row['answers']['text'][0]}"
        )
    for row in smoke.triviaqa_rows(seed, n):
        texts.append(f"Question: {row['question']}?\nAnswer: {row['answer']['value']}")
    return texts


_GENERATORS = ((_word_soup, 40), (_prose, 15), (_billing, 15), (_tool_call, 10), (_chat, 10), (_gsm8k, 25))


def tokenizer_corpus(seed: int = 0, docs: int = 6000) -> list[str]:
    """`docs` generated texts (plus SQuAD/TriviaQA-shaped ones), identical for the same seed."""
    rng = random.Random(f"tiny-corpus-{seed}")
    functions = [f for f, _ in _GENERATORS]
    weights = [w for _, w in _GENERATORS]
    texts = [rng.choices(functions, weights)[0](rng) for _ in range(docs)]
    return texts + _squad_and_trivia(seed + 10_000, max(1, docs // 10))


_GENERAL = ((_word_soup, 40), (_prose, 25), (_tool_call, 20), (_chat, 15))


def general_text(rng: random.Random) -> str:
    """One general text for pre-training: prose, common words, a JSON tool call or a chat (no bill answers)."""
    return rng.choices([f for f, _ in _GENERAL], [w for _, w in _GENERAL])[0](rng)
