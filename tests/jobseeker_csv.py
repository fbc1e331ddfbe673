"""CSV files of job seekers for the import tests (integration, end-to-end, benchmark)."""

from __future__ import annotations

HEADER = "email,name,phone,preferred_language,home_area,skills,source\n"
SKILLS = ("driving; cooking", "home care", "forklift|warehouse", "cleaning", "")


def person(i: int, *, source: str = "", domain: str = "example.org") -> str:
    phone = f"562-555-{i % 10000:04d}"
    skills = SKILLS[i % len(SKILLS)] if i % 7 else "driving; cooking"
    return f"person{i}@{domain},Person {i},{phone},es,90813,{skills},{source}\n"


def bad_rows(
    *, foreign_source: str, staff_email: str, domain: str = "example.org"
) -> dict[int, tuple[str, str]]:
    """Twenty bad rows by position: (the row, the column its reason names). Two repeat the
    emails of rows 1 and 2 of people_csv(..., domain=domain)."""
    return {
        3: ("not-an-email,Bad Email,,en,90813,,\n", "email"),
        57: ("p57@example.org,,,en,90813,,\n", "name"),
        101: ("p101@example.org,Bad Zip,,en,9081,,\n", "home_area"),
        150: ("p150@example.org,Bad Phone,12,en,90813,,\n", "phone"),
        202: ("p202@example.org,Bad Language,,fr,90813,,\n", "preferred_language"),
        250: ("p250@example.org,Unknown Source,,en,90813,,Nowhere College\n", "source"),
        301: (f"person1@{domain},Repeat,,en,90813,,\n", "email"),
        333: ("p333@example.org,Ragged,,en\n", "_row"),
        404: ("p404@example.org,Too Many,,en,90813,,,extra\n", "_row"),
        455: (f"p455@example.org,Other CBO's Source,,en,90813,,{foreign_source}\n", "source"),
        500: ("p500@example.org,Long Skill,,en,90813," + "x" * 61 + ",\n", "skills"),
        550: (",No Email,,en,90813,,\n", "email"),
        600: ("p600@example.org,Bad Zip Too,,en,ABCDE,,\n", "home_area"),
        650: ("p650@example.org,Bad Language Too,,xx,90813,,\n", "preferred_language"),
        700: (f"person2@{domain},Repeat Too,,en,90813,,\n", "email"),
        750: ("p750@,Half Email,,en,90813,,\n", "email"),
        800: ("p800@example.org,Phone Letters,call me,en,90813,,\n", "phone"),
        850: ("p850@example.org," + "N" * 201 + ",,en,90813,,\n", "name"),
        900: ("p900@example.org,Zip Plus,,en,90813-12,,\n", "home_area"),
        950: (f"{staff_email},Staff Email,,en,90813,,\n", "email"),
    }


def people_csv(
    n: int,
    *,
    bad: dict[int, tuple[str, str]] | None = None,
    source_name: str = "",
    every: int = 10,
    domain: str = "example.org",
) -> bytes:
    """`n` job seekers; rows in `bad` replaced; every `every`th names the source by name."""
    lines = [HEADER]
    for i in range(n):
        if bad and i in bad:
            lines.append(bad[i][0])
        else:
            source = source_name if source_name and i % every == 0 else ""
            lines.append(person(i, source=source, domain=domain))
    return "".join(lines).encode()
