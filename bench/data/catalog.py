"""What the synthetic families are made of: medicines with the schedule shapes
the app supports (docs/schedules.md), vital signs in their canonical units
(measurements/kinds.py), and the words of journals, appointments and files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

# Shapes (``Medicine.shape``): how a medicine is taken.
DAILY = "daily"  # times a day, every day
WEEKLY = "weekly"  # on chosen weekdays
EVERY_N_DAYS = "every_n_days"
EVERY_N_HOURS = "every_n_hours"
PRN = "prn"  # as needed, with a maximum per 24 hours
TAPER = "taper"  # back-to-back daily schedules with a falling dose, then stopped
COURSE = "course"  # a short course (antibiotics): every N hours for a week or two


@dataclass(frozen=True)
class Medicine:
    name: str
    generic: str
    strength: str
    form: str
    unit: str
    amount: Decimal
    reason: str
    shape: str
    #: Times a day (DAILY), the hours between doses (EVERY_N_HOURS, COURSE), the
    #: days between doses (EVERY_N_DAYS), the most doses in 24 hours (PRN).
    choices: tuple[int, ...] = (1,)
    instructions: str = ""
    route: str = "by mouth"
    #: Chronic medicines run for years; the others start and stop within the window.
    chronic: bool = True


def _t(text: str) -> Decimal:
    return Decimal(text)


MEDICINES = [
    Medicine(
        "Metformin",
        "metformin",
        "500 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Type 2 diabetes",
        DAILY,
        (2, 2, 3),
        "With food",
    ),
    Medicine(
        "Lisinopril",
        "lisinopril",
        "10 mg",
        "tablet",
        "tablet",
        _t("1"),
        "High blood pressure",
        DAILY,
        (1,),
    ),
    Medicine(
        "Atorvastatin",
        "atorvastatin",
        "20 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Cholesterol",
        DAILY,
        (1,),
        "In the evening",
    ),
    Medicine(
        "Levothyroxine",
        "levothyroxine",
        "50 mcg",
        "tablet",
        "tablet",
        _t("1"),
        "Thyroid",
        DAILY,
        (1,),
        "Before breakfast",
    ),
    Medicine(
        "Amlodipine",
        "amlodipine",
        "5 mg",
        "tablet",
        "tablet",
        _t("1"),
        "High blood pressure",
        DAILY,
        (1,),
    ),
    Medicine(
        "Omeprazole",
        "omeprazole",
        "20 mg",
        "capsule",
        "capsule",
        _t("1"),
        "Reflux",
        DAILY,
        (1, 2),
        "Before breakfast",
    ),
    Medicine(
        "Donepezil",
        "donepezil",
        "10 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Memory",
        DAILY,
        (1,),
        "At bedtime",
    ),
    Medicine(
        "Sertraline", "sertraline", "50 mg", "tablet", "tablet", _t("1"), "Mood", DAILY, (1,)
    ),
    Medicine(
        "Warfarin",
        "warfarin",
        "5 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Blood thinner",
        DAILY,
        (1,),
        "Same time every day",
    ),
    Medicine(
        "Carbidopa-Levodopa",
        "carbidopa/levodopa",
        "25/100 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Parkinson's",
        DAILY,
        (3, 4, 4),
    ),
    Medicine(
        "Insulin glargine",
        "insulin glargine",
        "100 units/mL",
        "injection",
        "unit",
        _t("18"),
        "Diabetes",
        DAILY,
        (1,),
        "",
        "injection",
    ),
    Medicine(
        "Insulin lispro",
        "insulin lispro",
        "100 units/mL",
        "injection",
        "unit",
        _t("6"),
        "Diabetes",
        DAILY,
        (3,),
        "With meals",
        "injection",
    ),
    Medicine(
        "Latanoprost",
        "latanoprost",
        "0.005 %",
        "drops",
        "drop",
        _t("1"),
        "Glaucoma",
        DAILY,
        (1,),
        "One drop in each eye",
        "eye",
    ),
    Medicine(
        "Potassium chloride",
        "potassium chloride",
        "20 mEq",
        "tablet",
        "tablet",
        _t("1"),
        "Low potassium",
        DAILY,
        (1, 2),
    ),
    Medicine(
        "Tiotropium",
        "tiotropium",
        "18 mcg",
        "inhaler",
        "puff",
        _t("2"),
        "COPD",
        DAILY,
        (1,),
        "",
        "inhaled",
    ),
    Medicine(
        "Furosemide",
        "furosemide",
        "40 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Fluid",
        WEEKLY,
        (1,),
        "In the morning",
    ),
    Medicine(
        "Alendronate",
        "alendronic acid",
        "70 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Bones",
        WEEKLY,
        (1,),
        "Fasting, upright",
    ),
    Medicine(
        "Methotrexate",
        "methotrexate",
        "2.5 mg",
        "tablet",
        "tablet",
        _t("4"),
        "Arthritis",
        WEEKLY,
        (1,),
    ),
    Medicine(
        "Vitamin D3",
        "colecalciferol",
        "20,000 IU",
        "capsule",
        "capsule",
        _t("1"),
        "Vitamin D",
        WEEKLY,
        (1,),
    ),
    Medicine(
        "Fentanyl patch",
        "fentanyl",
        "12 mcg/h",
        "patch",
        "patch",
        _t("1"),
        "Pain",
        EVERY_N_DAYS,
        (3,),
        "Change the patch",
        "skin",
    ),
    Medicine(
        "Vitamin B12",
        "cyanocobalamin",
        "1 mg/mL",
        "injection",
        "mL",
        _t("1"),
        "B12",
        EVERY_N_DAYS,
        (28, 30),
        "",
        "injection",
    ),
    Medicine(
        "Oxycodone",
        "oxycodone",
        "5 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Pain",
        EVERY_N_HOURS,
        (6, 8),
    ),
    Medicine(
        "Levetiracetam",
        "levetiracetam",
        "500 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Seizures",
        EVERY_N_HOURS,
        (12,),
    ),
    Medicine(
        "Paracetamol",
        "acetaminophen",
        "500 mg",
        "tablet",
        "tablet",
        _t("2"),
        "Pain or fever",
        PRN,
        (4,),
        "At least 4 hours apart",
    ),
    Medicine(
        "Ibuprofen",
        "ibuprofen",
        "400 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Pain",
        PRN,
        (3,),
        "With food",
    ),
    Medicine(
        "Salbutamol",
        "albuterol",
        "100 mcg",
        "inhaler",
        "puff",
        _t("2"),
        "Breathlessness",
        PRN,
        (4, 8),
        "",
        "inhaled",
    ),
    Medicine(
        "Lorazepam", "lorazepam", "0.5 mg", "tablet", "tablet", _t("1"), "Agitation", PRN, (2,)
    ),
    Medicine(
        "Ondansetron", "ondansetron", "4 mg", "tablet", "tablet", _t("1"), "Nausea", PRN, (3,)
    ),
    Medicine(
        "Prednisone",
        "prednisone",
        "10 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Flare-up",
        TAPER,
        (4,),
        "With breakfast",
        chronic=False,
    ),
    Medicine(
        "Amoxicillin",
        "amoxicillin",
        "500 mg",
        "capsule",
        "capsule",
        _t("1"),
        "Infection",
        COURSE,
        (8,),
        chronic=False,
    ),
    Medicine(
        "Ciprofloxacin",
        "ciprofloxacin",
        "500 mg",
        "tablet",
        "tablet",
        _t("1"),
        "Infection",
        COURSE,
        (12,),
        chronic=False,
    ),
    Medicine(
        "Nitrofurantoin",
        "nitrofurantoin",
        "100 mg",
        "capsule",
        "capsule",
        _t("1"),
        "Urine infection",
        COURSE,
        (12,),
        chronic=False,
    ),
]

#: How often each shape is picked, so that most medicines are daily ones.
SHAPE_WEIGHTS = {
    DAILY: 60,
    WEEKLY: 8,
    EVERY_N_DAYS: 4,
    EVERY_N_HOURS: 7,
    PRN: 12,
    TAPER: 3,
    COURSE: 6,
}

#: Clock times for n doses a day.
TIMES_A_DAY: dict[int, list[tuple[dt.time, ...]]] = {
    1: [(dt.time(8),), (dt.time(9),), (dt.time(7, 30),), (dt.time(21),), (dt.time(20),)],
    2: [(dt.time(8), dt.time(20)), (dt.time(9), dt.time(21)), (dt.time(7), dt.time(19))],
    3: [(dt.time(8), dt.time(14), dt.time(20)), (dt.time(7, 30), dt.time(12), dt.time(18))],
    4: [
        (dt.time(8), dt.time(12), dt.time(16), dt.time(20)),
        (dt.time(6), dt.time(12), dt.time(18), dt.time(22)),
    ],
}
#: A weekly medicine's days (ISO weekdays).
WEEKDAYS = [(1,), (7,), (1, 4), (1, 3, 5), (1, 2, 3, 4, 5)]

# -- People ---------------------------------------------------------------------------

FIRST_NAMES = [
    "Maria", "José", "Ana", "John", "Mary", "Robert", "Linda", "Hans", "Ingrid", "Yuki",
    "Hiroshi", "Aiko", "Fatima", "Omar", "Grace", "Peter", "Margaret", "William", "Rosa",
    "Carmen", "Elena", "Giorgio", "Lucia", "Helga", "Dieter", "Olga", "Ivan", "Mei", "Wei",
    "Chloe", "Arthur", "Dorothy", "Harold", "Edith", "Walter", "Irene", "Frank", "Ruth",
]  # fmt: skip
SURNAMES = [
    "García", "López", "Smith", "Johnson", "Müller", "Schmidt", "Tanaka", "Sato", "Haddad",
    "Brown", "Williams", "Rossi", "Bianchi", "Novak", "Ivanova", "Chen", "Wang", "Martin",
    "Dubois", "Fischer", "Weber", "Kowalski", "Nguyen", "O'Brien", "Murphy", "Silva",
]  # fmt: skip
ZONES = [
    "Europe/Madrid", "America/New_York", "Australia/Sydney", "Europe/Berlin",
    "America/Chicago", "Asia/Tokyo", "America/Los_Angeles", "Europe/London", "UTC",
]  # fmt: skip
#: Zones whose people prefer pounds and Fahrenheit.
IMPERIAL = {"America/New_York", "America/Chicago", "America/Los_Angeles"}
CONDITIONS = [
    "Type 2 diabetes", "Hypertension", "Dementia", "COPD", "Parkinson's disease",
    "Heart failure", "Arthritis", "Osteoporosis", "Glaucoma", "Atrial fibrillation",
]  # fmt: skip
ALLERGIES = ["Penicillin", "Sulfa drugs", "Latex", "Peanuts", "Aspirin", "Shellfish"]

# -- Doses ----------------------------------------------------------------------------

SKIP_REASONS = [
    "Nausea", "Doctor said to hold it", "Asleep", "Refused", "Out of stock",
    "Blood pressure too low", "Fasting for a test", "Vomited",
]  # fmt: skip
DOSE_NOTES = ["Given with food", "Crushed in applesauce", "Took it slowly", "A bit drowsy after"]

# -- Vital signs: type -> (unit, typical value, day-to-day spread, decimals) ---------------


@dataclass(frozen=True)
class Vital:
    type: str
    unit: str
    typical: float
    spread: float
    places: int
    #: Readings on a day when it is measured (from, to), and the share of days measured.
    per_day: tuple[int, int]
    days: float
    contexts: tuple[str, ...] = ()
    low: float = 0
    high: float = 1e9


VITALS = {
    "blood_pressure": Vital(
        "blood_pressure", "mm[Hg]", 132, 12, 0, (1, 2), 0.5, ("resting",), 60, 240
    ),
    "blood_glucose": Vital(
        "blood_glucose",
        "mg/dL",
        135,
        35,
        0,
        (1, 4),
        0.45,
        ("fasting", "before_meal", "after_meal", "bedtime"),
        40,
        500,
    ),
    "weight": Vital("weight", "kg", 72, 0.6, 1, (1, 1), 0.3, (), 35, 180),
    "heart_rate": Vital(
        "heart_rate", "/min", 74, 8, 0, (1, 1), 0.4, ("resting", "after_activity"), 40, 160
    ),
    "temperature": Vital("temperature", "Cel", 36.7, 0.35, 1, (1, 2), 0.1, (), 35, 40.5),
    "oxygen_saturation": Vital("oxygen_saturation", "%", 95, 1.8, 0, (1, 2), 0.4, (), 80, 100),
    "pain": Vital("pain", "{score}", 3, 1.8, 0, (1, 1), 0.4, (), 0, 10),
    "respiratory_rate": Vital(
        "respiratory_rate", "/min", 16, 2, 0, (1, 1), 0.2, ("resting",), 8, 40
    ),
}
#: How likely a patient tracks each type (each tracks 1 to 4).
VITAL_WEIGHTS = {
    "blood_pressure": 40, "blood_glucose": 25, "weight": 25, "heart_rate": 20,
    "temperature": 8, "oxygen_saturation": 12, "pain": 12, "respiratory_rate": 4,
}  # fmt: skip
#: Target ranges set for a tracked type: (min, max, min diastolic, max diastolic).
THRESHOLDS: dict[str, tuple[int | None, int | None, int | None, int | None]] = {
    "blood_pressure": (90, 150, 55, 95),
    "blood_glucose": (70, 200, None, None),
    "oxygen_saturation": (92, None, None, None),
    "heart_rate": (50, 110, None, None),
}

# -- Journal, appointments, files ----------------------------------------------------------

SYMPTOMS = [
    "fatigue",
    "dizziness",
    "headache",
    "nausea",
    "confusion",
    "cough",
    "joint pain",
    "swelling",
    "poor sleep",
]
ACTIVITIES = [
    "walk",
    "physiotherapy",
    "reading",
    "visit from family",
    "gardening",
    "day centre",
    "puzzles",
    "music",
]
LOG_NOTES = [
    "", "", "", "Good day, ate well.", "Restless night, better by lunch.",
    "A little confused in the evening.", "Walked to the park and back.",
    "Complained of a headache after lunch.", "Cheerful; the grandchildren visited.",
    "Needed help with the stairs today.", "Slept most of the afternoon.",
]  # fmt: skip
APPOINTMENTS = [
    ("checkup", "GP check-up", "Dr. Patel", "Health centre"),
    ("specialist", "Cardiology review", "Dr. Weber", "City hospital, clinic 4"),
    ("specialist", "Diabetes clinic", "Nurse Allen", "Diabetes centre"),
    ("lab", "Blood test", "", "Lab, ground floor"),
    ("imaging", "X-ray", "", "Radiology"),
    ("therapy", "Physiotherapy", "Sam Ortiz", "Physio practice"),
    ("dental", "Dentist", "Dr. Kim", "Smile dental"),
    ("vision", "Eye test", "", "Optician"),
    ("telehealth", "Video call with the GP", "Dr. Patel", ""),
    ("procedure", "Cataract surgery", "Dr. Rossi", "Eye hospital"),
]
APPOINTMENT_WEIGHTS = [30, 12, 8, 15, 4, 12, 5, 4, 9, 1]
OUTCOMES = [
    "",
    "All fine, review in 6 months.",
    "Dose changed.",
    "More tests ordered.",
    "Referred on.",
]
FILES = [
    ("Blood test results", "application/pdf", ".pdf"),
    ("Discharge letter", "application/pdf", ".pdf"),
    ("Prescription", "application/pdf", ".pdf"),
    ("Photo of the rash", "image/jpeg", ".jpg"),
    ("Pill box", "image/jpeg", ".jpg"),
    ("Care plan", "application/pdf", ".pdf"),
    ("Insurance card", "image/png", ".png"),
    ("Notes for the doctor", "text/plain", ".txt"),
]
