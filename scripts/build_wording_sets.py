"""Build the outside-wording sets in tests/assist/data/wording/ from public datasets (see its README).

Reads local copies of three public repositories and writes JSON-lines files, each split in two
by a hash of the text (so a sentence always lands in the same half, whatever else changes):
`*_dev.jsonl` to tune on, `*_heldout.jsonl` never tuned on.

    python scripts/build_wording_sets.py --hint3 HINT3/ --sgd dstc8-schema-guided-dialogue/ --tweeteval tweeteval/
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "assist" / "data" / "wording"

# HINT3 labels whose meaning is one Earshot action; every other label (product advice, store
# hours, "chat with an agent", returns that may be refunds or replacements...) is left out.
HINT3_ACTIONS = {
    "ORDER_STATUS": "track_order",
    "DELAY_IN_PARCEL": "track_order",
    "DELAY_IN_DELIVERY": "track_order",
    "CANCEL_ORDER": "cancel_service",
    "MODIFY_ADDRESS": "update_account",
    "ORDER_QUERY": "ask_question",
    "PAYMENT_AND_BILL": "explain_billing",
    "PORTAL_ISSUE": "troubleshoot",
}
HINT3_FILES = [
    "dataset/v2/train/curekart_train.csv",
    "dataset/v2/test/curekart_test.csv",
    "dataset/v2/train/sofmattress_train.csv",
    "dataset/v2/test/sofmattress_test.csv",
]
# SGD: the user's last turn when it only thanks / says goodbye / declines more help.
SGD_CLOSING_ACTS = {"GOODBYE", "THANK_YOU", "NEGATE", "SELECT"}
SGD_FILES = [f"{split}/dialogues_{n:03d}.json" for split in ("dev", "test") for n in (1, 2, 3)]
TWEETEVAL_LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
SENTIMENT_PER_SPLIT = 600


def held_out(text: str) -> bool:
    """40% of texts, chosen by a hash of their lower-cased words."""
    key = " ".join(text.lower().split())
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10 < 4


def hint3(root: Path) -> list[dict[str, object]]:
    rows, seen = [], set()
    for name in HINT3_FILES:
        path = root / name
        if not path.exists():
            continue
        with path.open(newline="", encoding="utf-8") as handle:
            for sentence, label in list(csv.reader(handle))[1:]:
                text = " ".join(sentence.split())
                if label in HINT3_ACTIONS and text.lower() not in seen:
                    seen.add(text.lower())
                    rows.append({"text": text, "action": HINT3_ACTIONS[label], "source": f"hint3:{label}"})
    return rows


def sgd_closings(root: Path, limit: int = 90) -> list[dict[str, object]]:
    rows, seen = [], set()
    for name in SGD_FILES:
        for dialogue in json.loads((root / name).read_text(encoding="utf-8")):
            turns = dialogue["turns"]
            last = max(i for i, t in enumerate(turns) if t["speaker"] == "USER")
            acts = {a["act"] for frame in turns[last]["frames"] for a in frame["actions"]}
            closing = acts <= SGD_CLOSING_ACTS and ("GOODBYE" in acts or {"NEGATE", "THANK_YOU"} <= acts)
            text = turns[last]["utterance"].strip()
            if not closing or text.lower() in seen:
                continue
            seen.add(text.lower())
            # The system turn before it ("Is there anything else I can help with?") is its history.
            history = [{"speaker": "agent", "text": turns[last - 1]["utterance"]}] if last > 0 else []
            rows.append({"text": text, "action": "close_call", "history": history, "source": f"sgd:{dialogue['dialogue_id']}"})
    random.Random(12).shuffle(rows)
    return rows[:limit]


def tweeteval(root: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    def read(split: str) -> list[dict[str, object]]:
        texts = (root / f"datasets/sentiment/{split}_text.txt").read_text(encoding="utf-8").splitlines()
        labels = (root / f"datasets/sentiment/{split}_labels.txt").read_text(encoding="utf-8").split()
        return [{"text": t.strip(), "sentiment": TWEETEVAL_LABELS[l], "source": f"tweeteval:{split}"} for t, l in zip(texts, labels, strict=True)]

    # Tune on a sample of the validation tweets; hold out a sample of the test tweets.
    dev, test = read("val"), read("test")
    random.Random(12).shuffle(dev)
    random.Random(13).shuffle(test)
    return dev[:SENTIMENT_PER_SPLIT], test[:SENTIMENT_PER_SPLIT]


def write(name: str, rows: list[dict[str, object]]) -> None:
    path = OUT / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{path.relative_to(OUT.parents[3])}: {len(rows)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hint3", type=Path, required=True, help="a checkout of hellohaptik/HINT3")
    parser.add_argument("--sgd", type=Path, required=True, help="a checkout of google-research-datasets/dstc8-schema-guided-dialogue")
    parser.add_argument("--tweeteval", type=Path, required=True, help="a checkout of cardiffnlp/tweeteval")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    actions = hint3(args.hint3) + sgd_closings(args.sgd)
    write("actions_dev.jsonl", [r for r in actions if not held_out(str(r["text"]))])
    write("actions_heldout.jsonl", [r for r in actions if held_out(str(r["text"]))])
    dev, test = tweeteval(args.tweeteval)
    write("sentiment_dev.jsonl", dev)
    write("sentiment_heldout.jsonl", test)


if __name__ == "__main__":
    main()
