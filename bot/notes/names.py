"""What a person's name, a @handle or a list of them looks like in notes."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A GitHub login after ``@`` (not inside a word, an e-mail address or a URL path).
HANDLE = re.compile(r"(?<![\w@/.\\-])@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})(?![\w@])")
_HANDLE_ONLY = re.compile(r"\\?@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})")
_NAME_WORD = re.compile(r"[^\W\d_][\w.'’-]*@?")
_ISSUE_REF = re.compile(r"#(\d+)")
_LIST_SEPARATOR = re.compile(r"\s*(?:,\s*(?:and\b|&)?|&|/|\+|\band\b)\s*")
_PARTICLES = frozenset({"van", "von", "de", "da", "del", "der", "di", "du", "la", "le", "st"})

#: Words that stand for everyone or no one: a valid owner slot, but nobody to assign.
GROUP_WORDS = frozenset(
    {
        "all", "everyone", "everybody", "anyone", "anybody", "someone", "somebody",
        "nobody", "team", "group", "folks", "tbd", "none", "?", "??", "???",
    }
)  # fmt: skip

#: Capitalised words that start sentences or labels rather than name people: pronouns,
#: modal and imperative verbs (``Attempt to …``, ``Migrate to …``), nouns and adjectives
#: seen in front of "to"/"will" in real notes. Verbs that are also common first names
#: (Mark, Chase, Grant, Bill, Rob…) are deliberately absent.
_NOT_NAME_WORDS = """
    a able ability about accept access action actions add address advertise after agenda
    agree agreed agreement ai ais aim all allow also an and announce announcement answer
    any anything apply approve archive as ask assign at attempt audit automate back
    background be because before better book bot bring build bump but button by calendar
    call can cancel candidates change changes check clarify clean close comms comment
    communicate communication compare compile confirm connect consider consolidate contact
    content context continue contributors convert coordinate copy could create current
    currently cut deadline decide decided decision defer define delete demo deploy describe
    design discuss discussion do docs document done draft drive due each easier edit email
    enable encourage ensure escalate estimate evaluate event eventually every everyone
    example explain explore export extend feedback file finalize finally find finish first
    fix flesh follow for form formalize from fyi gather generate get github give go goal
    goals going good google hard have he hello help here hi highlight hope host how i idea
    ideally ideas identify if implement important improve in include investigate invite is
    issue issues it item items join just keep kick kubernetes land later learn let let's
    lets likely link links list listen look make many marketing may maybe measure meet
    meeting meetings merge metrics might migrate more most move must my need needed needs
    new next nice no not note notes nothing notify now of offer ok okay on once one only
    open option options or organize our outline outcome owner owners path people pick ping
    plan plans please poke possible possibly post prepare present prior prioritize
    probably problem process promote proposal propose provide publish punt push put q
    question questions raise re reach read ready recruit reduce refactor register related
    release remember remind reminder remove rename reorganize reply report request
    required research resolve respond restart restrict result results retire review
    revisit revive rewrite run schedule scope script second seems send set setup share she
    ship should sign similar simplify slack slides so some someone soon sort speak split
    start status step steps still stop submit suggest summarize summary support supposed
    survey switch sync tag take talk team test thank thanks that the their then there
    these they things think this those thoughts time to today tomorrow topic topics track
    transfer triage try turn unable up update updates upgrade upload us use useful verify
    vote wait walk want wants we welcome what when where whether which who why will
    willing work workflow would write yes you your zoom zulip
    leads chairs maintainers reviewers approvers members liaisons organizers volunteers
    mentors admins users authors editors speakers attendees sigs wg
"""
NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
#: Word endings of abstract nouns (``Migration``, ``Agreement``).
_NOUN_ENDINGS = ("ion", "ions", "ment", "ments", "ity", "ness", "able", "ible")
#: Word endings of verb forms (``Starting to``, ``Decided to``); some names end so too
#: (Qiming, Ahmed), so they only count where a verb is expected: before "to"/"will".
_VERB_ENDINGS = ("ing", "ed")


def not_a_name(word: str, *, before_verb: bool = True) -> bool:
    """Whether a capitalised word at the start of an owner slot is surely not a name."""
    folded = word.casefold()
    if folded in NOT_NAMES:
        return True
    if len(folded) < 6:
        return False
    return folded.endswith(_NOUN_ENDINGS) or (before_verb and folded.endswith(_VERB_ENDINGS))


@dataclass(frozen=True, slots=True)
class Names:
    """Names and handles found in one place, and issue references among them.

    ``tentative`` names are lower-case words that only count as owners when the
    file's roll call or the ``people`` setting knows them.
    """

    names: tuple[str, ...] = ()
    tentative: tuple[str, ...] = ()
    issue: int | None = None


def handle_login(text: str) -> str | None:
    """The login when ``text`` is exactly a ``@handle`` (or ``\\@handle``)."""
    match = _HANDLE_ONLY.fullmatch(text)
    return match.group(1) if match else None


def parse_names(
    text: str, *, explicit: bool, issues: bool = False, before_verb: bool = False
) -> Names | None:
    """``text`` read as a list of owners (``Tim``, ``Tim & Min``, ``@a, Chris H``), or None.

    ``explicit`` is for places that can only hold names (an owner group ``(…)`` or
    ``[…]``): there lower-case logins such as ``binji`` or ``titzer@`` are names.
    Elsewhere names are capitalised, and a lower-case word is only tentative.
    ``issues`` allows ``#123`` entries (owner groups), reported as ``issue``.
    ``before_verb`` is for ``Name to <verb>``: there ``Starting`` is a verb, not a name.
    """
    text = text.strip()
    if not text or len(text) > 80:
        return None
    names: list[str] = []
    tentative: list[str] = []
    issue: int | None = None
    for part in _LIST_SEPARATOR.split(text):
        part = part.strip()
        if not part:
            return None
        if handle_login(part) is not None:
            names.append(part.lstrip("\\"))
            continue
        reference = _ISSUE_REF.fullmatch(part)
        if reference and issues:
            issue = int(reference.group(1))
            continue
        if part.casefold() in GROUP_WORDS:
            continue
        kind = _name_kind(part, explicit=explicit, before_verb=before_verb)
        if kind is None:
            return None
        (names if kind else tentative).append(part)
    if not names and not tentative and issue is None and not _only_group_words(text):
        return None
    return Names(tuple(names), tuple(tentative), issue)


def _only_group_words(text: str) -> bool:
    return all(p.strip().casefold() in GROUP_WORDS for p in _LIST_SEPARATOR.split(text))


def _name_kind(part: str, *, explicit: bool, before_verb: bool) -> bool | None:
    """True for a name, False for a tentative (lower-case) one, None for not a name."""
    words = part.split()
    if len(words) > 3 or not all(_NAME_WORD.fullmatch(word) for word in words):
        return None
    if words[0].casefold() in NOT_NAMES or (
        not explicit and not_a_name(words[0], before_verb=before_verb)
    ):
        return None
    if any(word.endswith("@") for word in words) and not explicit:
        return None
    capitalised = words[0][0].isupper() and all(
        word[0].isupper() or word.casefold() in _PARTICLES for word in words[1:]
    )
    if capitalised:
        return True
    if len(words) > 1:
        return None
    return explicit
