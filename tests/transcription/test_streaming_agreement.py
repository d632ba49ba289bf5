"""The stable prefix of live partials only grows, and the final keeps it."""

from __future__ import annotations

from earshot.transcription.streaming import LocalAgreement


def test_words_two_decodes_agree_on_become_stable() -> None:
    agreement = LocalAgreement()
    assert agreement.update("I forgot") == ("", "I forgot")
    assert agreement.update("I forgot my pass") == ("I forgot", "I forgot my pass")
    assert agreement.update("I forgot my password and") == ("I forgot my", "I forgot my password and")


def test_the_last_word_and_very_short_audio_are_never_committed() -> None:
    agreement = LocalAgreement()
    agreement.update("I forgot")
    assert agreement.update("I forgot")[0] == "I", "the last word may be cut mid-word"
    hesitant = LocalAgreement()
    hesitant.update("Hi there", may_commit=False)
    assert hesitant.update("Hi there friend", may_commit=False)[0] == ""


def test_stable_prefix_never_changes_even_if_a_later_decode_disagrees() -> None:
    agreement = LocalAgreement()
    agreement.update("There is a charge")
    stable, _ = agreement.update("There is a charge of")
    assert stable == "There is a charge"
    stable, full = agreement.update("Theirs a charge of forty nine")
    assert stable == "There is a charge"
    assert full.startswith("There is a charge")


def test_committed_words_keep_their_spelling_when_the_prefix_grows() -> None:
    agreement = LocalAgreement()
    agreement.update("Hi, I'm all to")
    agreement.update("Hi, I'm all to wireless")
    assert agreement.stable == ["Hi,", "I'm", "all", "to"]
    agreement.update("hi, i'm all to wireless head")
    assert " ".join(agreement.stable).startswith("Hi, I'm all")


def test_final_that_disagrees_with_the_partials_wins_without_duplicating_words() -> None:
    agreement = LocalAgreement()
    agreement.update("Yes, it is order one two three")
    agreement.update("Yes, it is order one two three four")
    assert agreement.finalize("Yes, it is order 1, 2, 3, 4, 5.") == "Yes, it is order 1, 2, 3, 4, 5."


def test_punctuation_and_case_do_not_break_agreement() -> None:
    agreement = LocalAgreement()
    agreement.update("hello, thanks")
    stable, _ = agreement.update("Hello thanks for calling.")
    assert stable == "Hello thanks"  # the newer spelling is the one committed


def test_final_keeps_the_stable_prefix_exactly() -> None:
    agreement = LocalAgreement()
    agreement.update("my email is jane")
    agreement.update("my email is jane dot")
    assert agreement.finalize("My email is Jane dot doe at example dot com.") == (
        "my email is jane dot doe at example dot com."
    )
    assert LocalAgreement().finalize("Fresh words.") == "Fresh words."


def test_repeated_identical_decodes_commit_all_but_the_last_word() -> None:
    agreement = LocalAgreement()
    agreement.update("put me through to your supervisor")
    assert agreement.update("put me through to your supervisor")[0] == "put me through to your"
