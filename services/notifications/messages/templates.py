"""What each message says, in English, Spanish and Khmer.

Placeholders: {name} (the person), {cbo} (the CBO's display name), {starts}, {ends},
{deadline} (times in the CBO's time zone, written for the language), {reason}, {attempts},
{work} (the job type's and site's names, a line each, when known; empty otherwise), and
the CBO's words: {shift}, {offer}, {jobseeker}, {client} (and {Shift}, {Offer} ... capitalised
for the start of a sentence). The CBO's words come from tenancy's terminology per language
(`{"es": {"shift": "turno"}}`); the defaults are below. Spanish sentences avoid articles and
adjectives next to a word the CBO may replace (only "su", which fits both), so that any noun
fits whatever its gender.

Each message has a `subject` (email subject and inbox title), a `text` (email and inbox body)
and an `sms` (short; the opt-out hint on the offer).

NOTE for review: the Khmer (km) strings were written without a native speaker's review; have a
native Khmer reader check them before the platform goes live in Long Beach.
"""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("en", "es", "km")

DEFAULT_WORDS: dict[str, dict[str, str]] = {
    "en": {"shift": "shift", "offer": "offer", "jobseeker": "worker", "client": "client"},
    "es": {"shift": "turno", "offer": "oferta", "jobseeker": "trabajador", "client": "cliente"},
    # Native review wanted (see the module's note).
    "km": {
        "shift": "វេនការងារ",
        "offer": "ការផ្តល់ការងារ",
        "jobseeker": "កម្មករ",
        "client": "អតិថិជន",
    },
}

WEEKDAYS: dict[str, tuple[str, ...]] = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    "km": ("ថ្ងៃច័ន្ទ", "ថ្ងៃអង្គារ", "ថ្ងៃពុធ", "ថ្ងៃព្រហស្បតិ៍", "ថ្ងៃសុក្រ", "ថ្ងៃសៅរ៍", "ថ្ងៃអាទិត្យ"),
}
MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
    "km": (
        "មករា",
        "កុម្ភៈ",
        "មីនា",
        "មេសា",
        "ឧសភា",
        "មិថុនា",
        "កក្កដា",
        "សីហា",
        "កញ្ញា",
        "តុលា",
        "វិច្ឆិកា",
        "ធ្នូ",
    ),
}
# A day and time: "Tue 1 Dec, 09:00", "mar 1 dic, 09:00", "ថ្ងៃអង្គារ ទី1 ធ្នូ ម៉ោង 09:00".
MOMENT: dict[str, str] = {
    "en": "{weekday} {day} {month}, {time}",
    "es": "{weekday} {day} {month}, {time}",
    "km": "{weekday} ទី{day} {month} ម៉ោង {time}",
}

# Known reasons (booking's and rebooking's codes) in each language; anything else is shown as
# it was written.
REASONS: dict[str, dict[str, str]] = {
    "shift filled": {
        "en": "the {shift} has been filled",
        "es": "ya hay alguien para ese trabajo",
        "km": "{shift}នេះមានអ្នកធ្វើរួចហើយ",
    },
    "shift_cancelled": {
        "en": "the {shift} was cancelled",
        "es": "se canceló",
        "km": "{shift}ត្រូវបានលុបចោល",
    },
    "worker suspended": {
        "en": "your account is on hold",
        "es": "su cuenta está en pausa",
        "km": "គណនីរបស់អ្នកត្រូវបានផ្អាក",
    },
    "account closed": {
        "en": "your account was closed",
        "es": "su cuenta fue cerrada",
        "km": "គណនីរបស់អ្នកត្រូវបានបិទ",
    },
    "attempts_used": {
        "en": "every attempt was used",
        "es": "se agotaron los intentos",
        "km": "បានប្រើអស់ចំនួនដងដែលអនុញ្ញាត",
    },
    "no_candidates": {
        "en": "nobody was left to offer it to",
        "es": "no quedaba nadie a quien ofrecerlo",
        "km": "គ្មាននរណាម្នាក់ទៀតដើម្បីផ្តល់ជូន",
    },
    "too_close": {
        "en": "it is too close to the start",
        "es": "falta muy poco para el inicio",
        "km": "ជិតដល់ម៉ោងចាប់ផ្តើមពេក",
    },
}

TEMPLATES: dict[str, dict[str, dict[str, str]]] = {
    "offer_sent": {
        "en": {
            "subject": "{Offer} from {cbo}: {starts}",
            "text": "Hello {name},\n\n{cbo} offers you a {shift} on {starts} to {ends}.\n"
            "{work}Please confirm or decline in the app by {deadline}.",
            "sms": "{cbo}: {shift} {starts} to {ends}. Confirm in the app by {deadline}. "
            "Reply STOP to opt out.",
        },
        "es": {
            "subject": "{Offer} de {cbo}: {starts}",
            "text": "Hola, {name}:\n\n{cbo} tiene trabajo para usted. {Shift}: {starts} a {ends}.\n"
            "{work}Confirme o rechace en la aplicación antes de {deadline}.",
            "sms": "{cbo}: {shift} {starts} a {ends}. Confirme en la aplicación antes de "
            "{deadline}. Responda STOP para no recibir más mensajes.",
        },
        "km": {
            "subject": "{offer}ពី {cbo}: {starts}",
            "text": "សួស្តី {name}\n\n{cbo} សូមផ្តល់{shift}ជូនអ្នក នៅ {starts} ដល់ {ends}។\n"
            "{work}សូមបញ្ជាក់ ឬបដិសេធ នៅក្នុងកម្មវិធី មុន {deadline}។",
            "sms": "{cbo}: {shift} {starts} ដល់ {ends}។ សូមបញ្ជាក់នៅក្នុងកម្មវិធី មុន {deadline}។ "
            "ឆ្លើយតប STOP ដើម្បីឈប់ទទួលសារ។",
        },
    },
    "offer_confirmed": {
        "en": {
            "subject": "You are booked: {starts}",
            "text": "Hello {name},\n\nYou confirmed the {shift} on {starts} to {ends}. Thank you!\n"
            "{work}We will remind you before it starts.",
            "sms": "{cbo}: confirmed, {shift} {starts} to {ends}. Thank you!",
        },
        "es": {
            "subject": "Confirmado: {starts}",
            "text": "Hola, {name}:\n\nConfirmó su {shift}: {starts} a {ends}. ¡Gracias!\n"
            "{work}Le enviaremos un recordatorio antes de que empiece.",
            "sms": "{cbo}: confirmó su {shift}: {starts} a {ends}. ¡Gracias!",
        },
        "km": {
            "subject": "បានបញ្ជាក់: {starts}",
            "text": "សួស្តី {name}\n\nអ្នកបានបញ្ជាក់{shift} នៅ {starts} ដល់ {ends}។ សូមអរគុណ!\n"
            "{work}យើងនឹងរំលឹកអ្នក មុនពេលចាប់ផ្តើម។",
            "sms": "{cbo}: បានបញ្ជាក់ {shift} {starts} ដល់ {ends}។ សូមអរគុណ!",
        },
    },
    "offer_withdrawn": {
        "en": {
            "subject": "{Offer} withdrawn: {starts}",
            "text": "Hello {name},\n\nThe {offer} of the {shift} on {starts} was withdrawn: "
            "{reason}.\nYou do not need to do anything.",
            "sms": "{cbo}: the {offer} of the {shift} on {starts} was withdrawn: {reason}.",
        },
        "es": {
            "subject": "Ya no está disponible: {starts}",
            "text": "Hola, {name}:\n\nEl trabajo que le ofrecimos ya no está disponible. "
            "{Shift}: {starts}. Motivo: {reason}.\nNo tiene que hacer nada.",
            "sms": "{cbo}: el trabajo que le ofrecimos ya no está disponible. {Shift}: {starts}. "
            "Motivo: {reason}.",
        },
        "km": {
            "subject": "{offer}ត្រូវបានដកវិញ: {starts}",
            "text": "សួស្តី {name}\n\n{offer}សម្រាប់{shift} នៅ {starts} ត្រូវបានដកវិញ: {reason}។\n"
            "អ្នកមិនចាំបាច់ធ្វើអ្វីទេ។",
            "sms": "{cbo}: {offer}សម្រាប់{shift} នៅ {starts} ត្រូវបានដកវិញ: {reason}។",
        },
    },
    "shift_cancelled": {
        "en": {
            "subject": "{Shift} cancelled: {starts}",
            "text": "Hello {name},\n\nYour {shift} on {starts} was cancelled. Reason: {reason}",
            "sms": "{cbo}: your {shift} on {starts} was cancelled.",
        },
        "es": {
            "subject": "Cancelado: {starts}",
            "text": "Hola, {name}:\n\nSe canceló su {shift} del {starts}. Motivo: {reason}",
            "sms": "{cbo}: se canceló su {shift} del {starts}.",
        },
        "km": {
            "subject": "{shift}ត្រូវបានលុបចោល: {starts}",
            "text": "សួស្តី {name}\n\n{shift}របស់អ្នក នៅ {starts} ត្រូវបានលុបចោល។ មូលហេតុ: {reason}",
            "sms": "{cbo}: {shift}របស់អ្នក នៅ {starts} ត្រូវបានលុបចោល។",
        },
    },
    "shift_reminder": {
        "en": {
            "subject": "Reminder: your {shift} {starts}",
            "text": "Hello {name},\n\nA reminder from {cbo}: your {shift} starts {starts} and "
            "ends {ends}.\n{work}If you cannot come, cancel in the app as soon as you can.",
            "sms": "{cbo} reminder: your {shift} starts {starts}.",
        },
        "es": {
            "subject": "Recordatorio: {starts}",
            "text": "Hola, {name}:\n\nUn recordatorio de {cbo}. {Shift}: empieza {starts} y "
            "termina {ends}.\n{work}Si no puede venir, cancele en la aplicación lo antes posible.",
            "sms": "Recordatorio de {cbo}. {Shift}: empieza {starts}.",
        },
        "km": {
            "subject": "ការរំលឹក: {shift}របស់អ្នក {starts}",
            "text": "សួស្តី {name}\n\nការរំលឹកពី {cbo}: {shift}របស់អ្នក ចាប់ផ្តើម {starts} "
            "និងបញ្ចប់ {ends}។\n{work}បើអ្នកមិនអាចមកបាន សូមលុបចោលនៅក្នុងកម្មវិធី ឱ្យបានឆាប់តាមដែលអាចធ្វើបាន។",
            "sms": "ការរំលឹកពី {cbo}: {shift}របស់អ្នក ចាប់ផ្តើម {starts}។",
        },
    },
    "rebooking_exhausted": {
        "en": {
            "subject": "No replacement found: {shift} {starts}",
            "text": "Hello {name},\n\nAutomatic rebooking could not fill the {shift} on "
            "{starts}: {reason} ({attempts} offers made).\nPlease step in from market watch.",
            "sms": "{cbo}: no replacement found for the {shift} on {starts}.",
        },
        "es": {
            "subject": "Sin reemplazo: {starts}",
            "text": "Hola, {name}:\n\nLa reasignación automática no encontró a nadie. {Shift}: "
            "{starts}. Motivo: {reason} (ofertas hechas: {attempts}).\n"
            "Por favor, intervenga desde el monitor del mercado.",
            "sms": "{cbo}: sin reemplazo. {Shift}: {starts}.",
        },
        "km": {
            "subject": "រកអ្នកជំនួសមិនបាន: {shift} {starts}",
            "text": "សួស្តី {name}\n\nការកក់ឡើងវិញដោយស្វ័យប្រវត្តិ មិនអាចរកអ្នកសម្រាប់{shift} "
            "នៅ {starts} បានទេ: {reason} (បានផ្តល់ {attempts} ដង)។\n"
            "សូមចូលអន្តរាគមន៍ពីផ្ទាំងតាមដានទីផ្សារ។",
            "sms": "{cbo}: រកអ្នកជំនួសមិនបាន សម្រាប់{shift} នៅ {starts}។",
        },
    },
}

KINDS: tuple[str, ...] = tuple(TEMPLATES)

# What the work is and where, each on its own line when booking's events told us ({work}).
WORK_LINES: dict[str, dict[str, str]] = {
    "en": {"job": "What: {job}\n", "site": "Where: {site}\n"},
    "es": {"job": "Trabajo: {job}\n", "site": "Lugar: {site}\n"},
    "km": {"job": "ការងារ: {job}\n", "site": "ទីកន្លែង: {site}\n"},
}
