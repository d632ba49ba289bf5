"""When a speaker's words read as a finished turn (the eager end of turn)."""

import pytest

from earshot.transcription.turns import reads_as_finished


@pytest.mark.parametrize(
    "text",
    [
        "Rice is often served in round bowls.",
        "Where is my order?",
        "That's all, cheers!",
        'He said "no."',
        "I'd like to cancel my subscription.",
    ],
)
def test_a_finished_sentence_ends_the_turn(text: str) -> None:
    assert reads_as_finished(text)


@pytest.mark.parametrize(
    "text",
    [
        "my card number is 4012.",  # the first of several groups read with pauses
        "the long number on the front is four oh one two.",
        "my email is john at.",
        "I was calling about my order and.",
        "I need to talk to the.",
        "So, um.",
        "Well...",
        "I think that",  # no sentence end
        "The total was $45.",
        "",
        ".",
    ],
)
def test_a_number_a_word_leading_on_or_no_sentence_end_waits_for_the_full_silence(text: str) -> None:
    assert not reads_as_finished(text)
