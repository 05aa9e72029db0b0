"""British formats, as a UK clinician reads them: "2 Dec 2026", "2 Dec 2026, 14:05".

Django's own en_GB formats, except that times are on the 24-hour clock and the short date
spells the month (02/12/2026 reads as 12 February to half the world).
"""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j M"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2026-12-02', as <input type="date"> sends it
    "%d/%m/%Y",  # '02/12/2026'
    "%d/%m/%y",  # '02/12/26'
    "%d %b %Y",  # '2 Dec 2026'
    "%d %B %Y",  # '2 December 2026'
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
