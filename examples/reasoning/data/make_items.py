"""Writes policy_questions.csv: support questions about a made-up parcel and software
shop ("Northwind"), each with the reasoning that applies the shop's policy (POLICY.md)
and the final answer. Written for curate's reasoning example; every figure follows from
the policy, so a reviewer can check each step. Deterministic: run it again, get the same
file.

    python examples/reasoning/data/make_items.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

OUT = Path(__file__).with_name("policy_questions.csv")
NAMES = ["Maria Lopez", "Tom Becker", "Aiko Tanaka", "Sam Okafor", "Lena Vogel"]


def parcel(rng: random.Random, i: int):
    kg = rng.choice([4, 12, 18, 29, 30, 31, 45, 69, 70, 71, 85])
    q = f"I need to send a parcel of {kg} kg. Can you take it, and how?"
    if kg <= 30:
        steps = [f"The parcel weighs {kg} kg.", "Standard parcels take up to 30 kg.",
                 f"{kg} kg is within that limit, so the standard service applies."]
        a = f"Yes: at {kg} kg your parcel goes by our standard parcel service. Book it online as usual."
    elif kg <= 70:
        steps = [f"The parcel weighs {kg} kg.", "Standard parcels take up to 30 kg; 30 to 70 kg goes by freight.",
                 f"{kg} kg is over 30 and at most 70, so it needs a freight booking."]
        a = f"Yes, but not as a standard parcel: {kg} kg is over our 30 kg limit, so please book it as freight (up to 70 kg)."
    else:
        steps = [f"The parcel weighs {kg} kg.", "Freight takes at most 70 kg; heavier items are not accepted.",
                 f"{kg} kg is over 70, so we cannot carry it."]
        a = f"I'm sorry, we can't take it: {kg} kg is over our 70 kg maximum, even by freight. Splitting it into lighter parcels would work."
    level = "easy" if abs(kg - 30) > 3 and abs(kg - 70) > 3 else "medium"
    return q, steps, a, level


def refund(rng: random.Random, i: int):
    days = rng.choice([3, 12, 29, 30, 31, 45])
    opened = rng.random() < 0.35
    faulty = rng.random() < 0.3
    what = "the software licence" if opened else "the headphones"
    q = (f"I bought {what}, delivered {days} days ago. "
         + ("I've already activated it. " if opened else "") + ("It doesn't work properly. " if faulty else "")
         + "Can I get my money back, shipping included?")
    steps = [f"Delivered {days} days ago; refunds are possible within 30 days of delivery."]
    if days > 30:
        steps.append(f"{days} days is past the 30-day window, so no refund applies.")
        a = f"I'm sorry, the 30-day refund window closed {days - 30} days ago, so we can't refund this order."
        return q, steps, a, "easy" if days > 35 else "medium"
    steps.append(f"{days} days is within the window.")
    if opened and not faulty:
        steps.append("Activated software is not refundable unless it is faulty.")
        a = "Because the licence has been activated and works, it can't be refunded, even within 30 days."
        return q, steps, a, "medium"
    steps.append("The shipping fee is refunded only when the item is faulty.")
    if faulty:
        steps.append("The item is reported faulty, so the shipping fee is refunded too.")
        a = "Yes: you're within 30 days and the item is faulty, so we refund the price and the shipping fee."
    else:
        steps.append("The item is not reported faulty, so the shipping fee is not refunded.")
        a = "Yes, you can return it within 30 days for a refund of the price; the shipping fee isn't refunded unless the item is faulty."
    return q, steps, a, "hard" if opened else "medium"


def warranty(rng: random.Random, i: int):
    kind = rng.choice(["laptop", "phone", "charging cable", "case"])
    months = rng.choice([5, 11, 13, 23, 25])
    receipt = rng.random() < 0.75
    electronics = kind in ("laptop", "phone")
    years = 2 if electronics else 1
    q = f"My {kind} stopped working after {months} months." + ("" if receipt else " I lost the receipt.") + " Is it covered?"
    steps = [f"A {kind} is {'electronics' if electronics else 'an accessory'}: {years}-year warranty ({12 * years} months).",
             f"It failed after {months} months."]
    if months > 12 * years:
        steps.append(f"{months} months is past {12 * years} months, so the warranty has ended.")
        a = f"I'm sorry, the {years}-year warranty on a {kind} ended {months - 12 * years} month(s) ago, so it isn't covered."
        return q, steps, a, "easy"
    steps.append(f"{months} months is within {12 * years} months.")
    steps.append("A claim needs proof of purchase.")
    if receipt:
        a = f"Yes, it's within the {years}-year warranty. Send us the receipt and we'll arrange a repair or replacement."
        return q, steps, a, "easy" if electronics else "medium"
    steps.append("The receipt is lost, but the order confirmation email counts as proof of purchase.")
    a = (f"It's within the {years}-year warranty. Without the receipt, your order confirmation email works as proof "
         "of purchase: forward it to us and we'll start the claim.")
    return q, steps, a, "hard"


def proration(rng: random.Random, i: int):
    old, new = rng.choice([(10, 25), (25, 40), (10, 40)])
    left = rng.choice([6, 10, 15, 24, 30])
    q = f"I'm on the {old} EUR monthly plan and want the {new} EUR plan today. {left} days are left in my billing month. What do I pay now?"
    diff = new - old
    amount = round(diff * left / 30, 2)
    steps = [f"The price difference is {new} - {old} = {diff} EUR per month.",
             f"An upgrade is charged for the days left: {diff} x {left} / 30.", f"{diff} x {left} / 30 = {amount:.2f} EUR."]
    a = f"You pay {amount:.2f} EUR today for the {left} days left; from next month the plan costs {new} EUR."
    return q, steps, a, "medium" if left in (15, 30) else "hard"


def late_fee(rng: random.Random, i: int):
    invoice = rng.choice([120, 250, 480, 900])
    days = rng.choice([3, 20, 31, 65, 200])
    months = -(-days // 30)
    pct = min(2 * months, 10)
    fee = round(invoice * pct / 100, 2)
    q = f"My invoice of {invoice} EUR is {days} days overdue. What late fee will I be charged?"
    steps = [f"{days} days overdue is {months} started month(s) (a month is 30 days).",
             f"The fee is 2% per started month, at most 10%: min(2 x {months}, 10) = {pct}%.",
             f"{pct}% of {invoice} EUR is {fee:.2f} EUR."]
    a = f"The late fee is {fee:.2f} EUR ({pct}% of {invoice} EUR)."
    level = "easy" if months == 1 else "hard" if 2 * months > 10 else "medium"
    return q, steps, a, level


def delivery(rng: random.Random, i: int):
    zone = rng.choice(["A", "B", "C"])
    hour = rng.choice([9, 13, 15, 17])
    day = rng.choice(["Monday", "Thursday", "Friday"])
    lo, hi = {"A": (1, 2), "B": (3, 5), "C": (5, 8)}[zone]
    q = f"I ordered on {day} at {hour}:00, delivery zone {zone}. When will it arrive?"
    late = hour >= 14
    ship = {"Monday": "Tuesday", "Thursday": "Friday", "Friday": "Monday"}[day] if late else day
    steps = [f"Orders placed at 14:00 or later ship the next business day; this order was at {hour}:00.",
             f"So it ships on {ship}.", f"Zone {zone} takes {lo} to {hi} business days after shipping."]
    a = f"It ships on {ship} and arrives {lo} to {hi} business days later (zone {zone})."
    level = "easy" if not late else "hard" if day == "Friday" else "medium"
    return q, steps, a, level


KINDS = {"parcel_weight": parcel, "refund": refund, "warranty": warranty, "plan_upgrade": proration,
         "late_fee": late_fee, "delivery_time": delivery}


def main() -> None:
    rng = random.Random(2026)
    rows = []
    n = 0
    for task, make in KINDS.items():
        for i in range(10):
            q, steps, a, level = make(rng, i)
            n += 1
            if n % 7 == 0:  # a few customers give their name: redaction takes it out everywhere
                name = NAMES[n % len(NAMES)]
                q = f"Hi, this is {name}. {q}"
                steps = [f"{name} asks about this."] + steps
            reasoning = "\n".join(f"{k}. {s}" for k, s in enumerate(steps, start=1))
            rows.append({"id": f"nw-{n:03d}", "question": q, "reasoning": reasoning, "answer": a,
                         "task_type": task, "difficulty": level})
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main()
