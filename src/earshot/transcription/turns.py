"""Whether a speaker's words so far read as a finished turn.

Used to end a turn at a short pause instead of waiting for the full end-of-speech silence: a
wrong early end splits one turn into two finals, and one kind of split does harm beyond the
transcript: a card number read out in groups ("4012, 8888, ...") split at each group pause would
reach the agent as short digit runs that redaction can no longer recognise. So a turn that ends
in a number, a filler, or a word that leads into more words is never ended early.
"""

import re

# Words after which a speaker usually goes on: conjunctions, articles, prepositions, possessives,
# fillers. Whisper still writes a full stop after them when the audio stops there.
_LEADS_ON = frozenset(
    """
    and but or so because then than that which who whose when where while if unless until though although
    the a an my your our their his her its this these those some any every
    to of for with from in on at by about as into onto over under between through after before like
    is are was were be been am i'm it's i we you they he she it me us them
    um uh er erm hmm mm well also plus just
    """.split()
)
_NUMBER_WORDS = frozenset(
    """
    zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million
    double triple dash hyphen point dot at
    """.split()
)
_SENTENCE_END = re.compile(r"[.?!][\"')\]]*$")
_WORD = re.compile(r"[\w']+")


def reads_as_finished(text: str) -> bool:
    """True when `text` ends a sentence (. ? !), not with "...", and its last word neither leads on
    nor is a number (a number may be the first of several groups read with pauses)."""
    text = text.strip()
    if not _SENTENCE_END.search(text) or text.endswith(".."):
        return False
    words = _WORD.findall(text.lower())
    if not words:
        return False
    last = words[-1]
    return last not in _LEADS_ON and last not in _NUMBER_WORDS and not any(ch.isdigit() for ch in last)
