"""The password rule: long enough and not a common password in disguise. Pure."""

from __future__ import annotations

import re

MIN_LENGTH = 12
MAX_LENGTH = 200


def N_(text: str) -> str:
    """Mark a text for the catalogues; the caller translates it (this module stays free of Flask)."""
    return text


#: Why a password is refused, in Dutch; the numbers are MIN_LENGTH and MAX_LENGTH (a test keeps them equal).
TOO_SHORT = N_("Een wachtwoord telt minstens 12 tekens.")
TOO_LONG = N_("Een wachtwoord telt hoogstens 200 tekens.")

#: Words that common passwords are built on (in Dutch, French and English), lower case.
COMMON_WORDS = frozenset(
    """
password passwort passw0rd wachtwoord paswoord motdepasse secret geheim secreto admin administrator beheerder
root login welcome welkom bienvenue hello hallo bonjour letmein trustno test tester testing changeme change
qwerty azerty qwertz asdf zxcv iloveyou jetaime ikhouvanjou love liefde amour sunshine princess dragon monkey
football voetbal soccer baseball basketball master shadow superman batman starwars pokemon computer internet
summer winter autumn spring zomer winter herfst lente ete hiver printemps monday maandag lundi
belgium belgie belgique brussels brussel bruxelles antwerpen gent liege namur europe
contactexpert dpamanager manager company bedrijf client klant user gebruiker guest gast default standaard
abc abcdef abcdefgh azertyuiop qwertyuiop freedom vrijheid liberte whatever anything nothing
""".split()
)

_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "qwertzuiopasdfghjklyxcvbnm",
    "01234567890",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})


def _core(password: str) -> str:
    """Lower-case the password, undo common letter-for-digit swaps, drop what surrounds the letters."""
    lowered = password.lower()
    stripped = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)
    return re.sub(r"[\W_]+", "", (stripped or lowered).translate(_LEET))


def _is_sequence(text: str) -> bool:
    if len(text) < 4:
        return False
    return any(text in seq or text in seq[::-1] for seq in _SEQUENCES)


def repeats_one_part(text: str) -> bool:
    """Tell whether the text is one short part over and over (e.g. 'abcabcabcabc')."""
    return any(len(text) % n == 0 and text == text[:n] * (len(text) // n) for n in range(1, len(text) // 2 + 1))


def _built_on_common_word(text: str) -> bool:
    """Tell whether the text is a common word, or one repeated."""
    return bool(text) and any(len(text) % len(w) == 0 and text == w * (len(text) // len(w)) for w in COMMON_WORDS)


def password_error(password: str, *, email: str = "", name: str = "") -> str | None:
    """Return why a password is not acceptable, or None."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if len(set(password)) <= 3 or repeats_one_part(password.lower()):
        return N_("Dit wachtwoord is te eenvoudig: het herhaalt steeds hetzelfde.")
    core = _core(password)
    digits_only = re.sub(r"\D", "", password)
    if _is_sequence(password.lower()) or _is_sequence(core) or (len(digits_only) == len(password)):
        return N_("Dit wachtwoord is te eenvoudig: een reeks tekens of enkel cijfers.")
    letters = re.sub(r"[^a-z]", "", password.lower())
    if any(_built_on_common_word(text) for text in (core, letters)):
        return N_("Dit wachtwoord komt te vaak voor; kies een zin of een combinatie van losse woorden.")
    personal = {part for part in re.split(r"[\W_]+", (email.split("@")[0] + " " + name).lower()) if len(part) >= 3}
    if core and (core in personal or core == re.sub(r"[\W_]+", "", email.split("@")[0].lower())):
        return N_("Gebruik geen wachtwoord dat uw naam of e-mailadres is.")
    return None
