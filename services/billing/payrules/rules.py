"""California pay rules for one worker's pay week: pure, no database.

The defaults are California's (Long Beach); a CBO may change each threshold (`PayRules`).
Sources, in the words the tests quote:

- Labor Code §510(a): "Any work in excess of eight hours in one workday and any work in excess
  of 40 hours in any one workweek and the first eight hours worked on the seventh day of work in
  any one workweek shall be compensated at the rate of no less than one and one-half times the
  regular rate of pay for an employee. Any work in excess of 12 hours in one day shall be
  compensated at the rate of no less than twice the regular rate of pay for an employee. In
  addition, any work in excess of eight hours on any seventh day of a workweek shall be
  compensated at the rate of no less than twice the regular rate of pay of an employee."
  The seventh day is the seventh consecutive day of work in the workweek (Mendoza v. Nordstrom,
  2017): only a worker who worked all of its first six days has one. Hours already paid at a
  daily or seventh-day premium do not count again towards the 40 (no pyramiding): each hour is
  paid once, at the highest premium that applies to it.
- Joint employment (FLSA, 29 CFR 791.2): a worker's hours for all the CBO's clients in the
  week are added together (the CBO is the employer of record); each week stands alone.
- Regular rate (29 CFR 778.115, 778.208-.210): with several rates in a week, the regular rate
  is the week's straight-time pay plus its non-discretionary bonuses, divided by all hours
  worked; an overtime hour is paid at its own rate plus half the regular rate (one more whole
  regular rate for a double-time hour). California's flat-sum bonus (Alvarado v. Dart, 2018):
  the bonus divided by the non-overtime hours, times 1.5 (or 2) for each overtime hour.
- IWC wage order 4, §5(A), reporting time: "Each workday an employee is required to report for
  work and does report, but is not put to work or is furnished less than half said employee's
  usual or scheduled day's work, the employee shall be paid for half the usual or scheduled
  day's work, but in no event for less than two (2) hours nor more than four (4) hours, at the
  employee's regular rate of pay". WorkLB pays it for a shift the client cancelled late (the
  worker was due to report) and for a shift the worker worked less than half of.
- Labor Code §512(a) and wage order 4 §11, meal periods: a meal period of at least 30 minutes
  for a work period of more than five hours (waivable by mutual consent when the day is no more
  than six hours), a second one for more than ten hours (waivable when the day is no more than
  twelve and the first was not waived); the first must start before the end of the fifth hour
  of work, the second before the end of the tenth. Wage order 4 §12, rest periods: ten minutes
  per four hours or major fraction thereof (none under 3.5 hours). Labor Code §226.7(c): a
  missed period costs "one additional hour of pay at the employee's regular rate of
  compensation" per workday (at most one for meal periods and one for rest periods). Meal
  periods are judged from the punches: a gap of at least 30 minutes between two pieces of work
  the same day is a meal period. Rest periods are paid time that is seldom clocked, so they are
  judged only where the CBO has its workers clock them (`rest_periods_clocked`).

Workdays are the CBO's calendar days (midnight to midnight in its zone); work across midnight
counts on the day each minute falls in. Money is integer cents; every amount is rounded half
up once, per shift and kind (billing.rates.rules).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from services.billing.rates.rules import DOUBLE, ONE, TIME_AND_A_HALF, round_half_up

REGULAR = "regular"
OVERTIME = "overtime"  # 1.5x
DOUBLE_TIME = "double_time"  # 2x
TIERS: tuple[str, ...] = (REGULAR, OVERTIME, DOUBLE_TIME)
MULTIPLIER = {REGULAR: ONE, OVERTIME: TIME_AND_A_HALF, DOUBLE_TIME: DOUBLE}

# How a flat-sum bonus enters the overtime rate.
BONUS_FLSA = "flsa"
BONUS_ALVARADO = "alvarado"


@dataclass(frozen=True)
class PayRules:
    """A CBO's pay rules; the defaults are California's. A threshold of None switches its
    rule off (e.g. no daily overtime outside California)."""

    weekly_overtime_after_minutes: int | None = 40 * 60
    daily_overtime_after_minutes: int | None = 8 * 60
    daily_double_time_after_minutes: int | None = 12 * 60
    seventh_day: bool = True
    seventh_day_double_time_after_minutes: int = 8 * 60
    reporting_time: bool = True
    reporting_min_minutes: int = 2 * 60
    reporting_max_minutes: int = 4 * 60
    meal_periods: bool = True
    meal_after_minutes: int = 5 * 60
    meal_waivable_up_to_minutes: int = 6 * 60
    second_meal_after_minutes: int = 10 * 60
    second_meal_waivable_up_to_minutes: int = 12 * 60
    meal_minutes: int = 30
    rest_periods_clocked: bool = False
    rest_minutes: int = 10
    premium_minutes: int = 60
    bonus_method: str = BONUS_ALVARADO


CALIFORNIA = PayRules()


@dataclass(slots=True)
class Work:
    """A piece of work in the week: a shift as worked (or, for a cost estimate, as booked)."""

    key: str
    starts_at: datetime  # aware
    minutes: int
    pay_rate_cents: int
    bill_rate_cents: int = 0
    # The shift's booked length: a shift worked less than half of is paid reporting time.
    scheduled_minutes: int | None = None
    client_id: str | None = None
    job_type_id: str | None = None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Cancelled:
    """A shift the client cancelled late: the worker was due to report."""

    key: str
    starts_at: datetime
    scheduled_minutes: int
    pay_rate_cents: int
    bill_rate_cents: int = 0
    client_id: str | None = None
    job_type_id: str | None = None


@dataclass
class WorkPay:
    """What one piece of work (or cancelled shift) comes to."""

    key: str
    minutes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TIERS, 0))
    reporting_minutes: int = 0
    pay_cents: int = 0
    bill_cents: int = 0
    client_id: str | None = None
    job_type_id: str | None = None


@dataclass
class WeekPay:
    """A worker's pay for one pay week."""

    minutes: dict[str, int]
    # All worked minutes at their own rates.
    straight_cents: int
    # The premium part of overtime and double-time hours (half a regular rate, or a whole one),
    # bonus included.
    overtime_premium_cents: int
    bonus_cents: int
    meal_premiums: int
    rest_premiums: int
    # One hour at the regular rate for each missed meal or rest period.
    period_premium_cents: int
    reporting_minutes: int
    reporting_cents: int
    gross_cents: int
    bill_cents: int
    # Cents per hour, exact.
    regular_rate: Fraction
    works: list[WorkPay]
    seventh_day: date | None

    @property
    def worked_minutes(self) -> int:
        return sum(self.minutes.values())

    @property
    def premium_cents(self) -> int:
        """Reporting time, meal and rest premiums and bonuses: what is not pay for hours
        worked (payroll.completed's `premium_cents`)."""
        return self.period_premium_cents + self.reporting_cents + self.bonus_cents


def pay_week(moment: datetime, zone: ZoneInfo) -> date:
    """The Monday (in the zone) of the week `moment` falls in."""
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


# A day is at least 23 hours long (the spring's change of clocks): work ending that long after
# the day's first minute by the wall clock is surely inside it.
_SURELY_INSIDE_A_DAY = 23 * 60


def _days(work: Work, zone: ZoneInfo) -> list[tuple[date, datetime, int]]:
    """The work cut at local midnights: (local date, start, minutes) of each piece."""
    local = work.starts_at.astimezone(zone)
    if local.hour * 60 + local.minute + work.minutes <= _SURELY_INSIDE_A_DAY:
        return [(local.date(), work.starts_at, work.minutes)]  # the common case: one day
    pieces = []
    start, left = work.starts_at, work.minutes
    while left > 0:
        local = start.astimezone(zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
        room = max(1, int((midnight - local).total_seconds() // 60))
        take = min(left, room)
        pieces.append((local.date(), start, take))
        start, left = start + timedelta(minutes=take), left - take
    return pieces


def _split(length: int, done: int, bounds: Sequence[tuple[int | None, str]]) -> dict[str, int]:
    """Minutes `done`..`done + length` of a day cut by thresholds: `bounds` is a list of
    (threshold, tier) from which each tier applies, ascending (None: never)."""
    found: dict[str, int] = defaultdict(int)
    position, end = done, done + length
    cuts = sorted((b, tier) for b, tier in bounds if b is not None)
    tier = REGULAR
    for threshold, next_tier in cuts:
        if position >= end:
            break
        if threshold > position:
            take = min(end, threshold) - position
            found[tier] += take
            position += take
        tier = next_tier
    if position < end:
        found[tier] += end - position
    return found


def classify(
    works: Sequence[Work],
    *,
    week_start: date,
    zone: ZoneInfo,
    rules: PayRules = CALIFORNIA,
    days_of: dict[str, list[tuple[date, datetime, int]]] | None = None,
) -> tuple[dict[str, dict[str, int]], date | None]:
    """Each work's minutes at each tier (regular, 1.5x, 2x), walking the week in time order:
    daily and seventh-day thresholds per workday, then the weekly one over the hours still at
    the regular rate. Returns ({work key: {tier: minutes}}, the seventh day if any).
    `days_of`: each work's pieces by day (_days), when the caller has them already."""
    days_of = days_of if days_of is not None else {w.key: _days(w, zone) for w in works}
    ordered = sorted(works, key=lambda w: (w.starts_at, w.key))
    pieces = [(day, start, minutes, w) for w in ordered for day, start, minutes in days_of[w.key]]
    pieces.sort(key=lambda p: (p[1], p[3].key))
    worked_days = {day for day, _, minutes, _ in pieces if minutes > 0}
    week_days = [week_start + timedelta(days=i) for i in range(7)]
    seventh = (
        week_days[6] if rules.seventh_day and all(day in worked_days for day in week_days) else None
    )
    found: dict[str, dict[str, int]] = {w.key: dict.fromkeys(TIERS, 0) for w in works}
    day_done: dict[date, int] = defaultdict(int)
    week_regular = 0
    for day, _start, minutes, work in pieces:
        done = day_done[day]
        day_done[day] += minutes
        if day == seventh:
            tiers = _split(
                minutes,
                done,
                [(0, OVERTIME), (rules.seventh_day_double_time_after_minutes, DOUBLE_TIME)],
            )
        else:
            tiers = _split(
                minutes,
                done,
                [
                    (rules.daily_overtime_after_minutes, OVERTIME),
                    (rules.daily_double_time_after_minutes, DOUBLE_TIME),
                ],
            )
            # The weekly threshold looks only at the hours still regular (no pyramiding).
            if rules.weekly_overtime_after_minutes is not None:
                room = max(0, rules.weekly_overtime_after_minutes - week_regular)
                over = max(0, tiers[REGULAR] - room)
                tiers[REGULAR] -= over
                tiers[OVERTIME] += over
            week_regular += tiers[REGULAR]
        for tier in TIERS:
            found[work.key][tier] += tiers.get(tier, 0)
    return found, seventh


def reporting_minutes(scheduled_minutes: int, worked_minutes: int, rules: PayRules) -> int:
    """The reporting-time hours owed beyond the hours worked (0: none): half the scheduled
    shift, at least the minimum and at most the maximum, where less than half was worked."""
    if not rules.reporting_time or scheduled_minutes <= 0:
        return 0
    if worked_minutes * 2 >= scheduled_minutes:
        return 0
    half = max(scheduled_minutes // 2, rules.reporting_min_minutes)
    owed = min(half, rules.reporting_max_minutes)
    return max(0, owed - worked_minutes)


def _day_intervals(
    days_of: dict[str, list[tuple[date, datetime, int]]],
) -> dict[date, list[tuple[datetime, int]]]:
    days: dict[date, list[tuple[datetime, int]]] = defaultdict(list)
    for pieces in days_of.values():
        for day, start, minutes in pieces:
            days[day].append((start, minutes))
    for in_day in days.values():
        in_day.sort()
    return days


def missed_meal(pieces: Sequence[tuple[datetime, int]], rules: PayRules) -> bool:
    """Whether a workday's work (start, minutes) in time order shows a missed meal period."""
    total = sum(minutes for _, minutes in pieces)
    # Work done before each break of at least a meal's length.
    meals: list[int] = []
    done = 0
    for (start, minutes), (next_start, _) in zip(pieces, pieces[1:], strict=False):
        done += minutes
        gap = (next_start - (start + timedelta(minutes=minutes))).total_seconds() / 60
        if gap >= rules.meal_minutes:
            meals.append(done)
    first_due = total > rules.meal_after_minutes and total > rules.meal_waivable_up_to_minutes
    if first_due and not any(before <= rules.meal_after_minutes for before in meals):
        return True
    second_due = total > rules.second_meal_after_minutes and (
        total > rules.second_meal_waivable_up_to_minutes
    )
    if second_due:
        taken = [before for before in meals if before <= rules.second_meal_after_minutes]
        if len(taken) < 2:
            return True
    return False


def rest_periods_due(worked_minutes: int) -> int:
    """Ten minutes per four hours or major fraction thereof; none under 3.5 hours."""
    if worked_minutes < 210:
        return 0
    return worked_minutes // 240 + (1 if worked_minutes % 240 > 120 else 0)


def missed_rest(pieces: Sequence[tuple[datetime, int]], rules: PayRules) -> bool:
    """Whether a workday's clocked work shows fewer rest breaks than are due."""
    total = sum(minutes for _, minutes in pieces)
    breaks = sum(
        1
        for (start, minutes), (next_start, _) in zip(pieces, pieces[1:], strict=False)
        if (next_start - (start + timedelta(minutes=minutes))).total_seconds() / 60
        >= rules.rest_minutes
    )
    return breaks < rest_periods_due(total)


def week_pay(
    works: Sequence[Work],
    *,
    week_start: date,
    zone: ZoneInfo,
    cancelled: Sequence[Cancelled] = (),
    bonus_cents: int = 0,
    rules: PayRules = CALIFORNIA,
) -> WeekPay:
    """A worker's pay for the week: every hour at its tier, the overtime premiums on the
    regular rate (bonus included), meal and rest premiums, reporting time, gross; and what the
    week bills (each hour at its own bill rate times its tier's multiplier)."""
    days_of = {w.key: _days(w, zone) for w in works}
    tiers, seventh = classify(works, week_start=week_start, zone=zone, rules=rules, days_of=days_of)
    totals = dict.fromkeys(TIERS, 0)
    for minutes in tiers.values():
        for tier in TIERS:
            totals[tier] += minutes[tier]
    worked = sum(totals.values())
    # The week's straight-time pay, exactly: cents x 60 (minutes x hourly cents).
    straight_60 = sum(w.minutes * w.pay_rate_cents for w in works)
    # The regular rate in cents an hour: straight-time pay and bonus over all hours worked.
    regular_rate = Fraction(straight_60 + 60 * bonus_cents, worked) if worked else Fraction(0)
    bonus_share = _bonus_share(bonus_cents, worked, totals[REGULAR], rules)
    paid: list[WorkPay] = []
    straight = overtime_premium = bill = reporting = reporting_minutes_total = 0
    for work in works:
        split = tiers[work.key]
        own = round_half_up(work.minutes * work.pay_rate_cents, 60)
        # Half the wage part of the regular rate on top for each 1.5x hour, all of it for a
        # 2x hour (integers: this runs for every worker of a payroll), plus the bonus's share.
        ot, dt = split[OVERTIME], split[DOUBLE_TIME]
        extra = 0
        if ot:
            extra += round_half_up(ot * straight_60, worked * 120)
        if dt:
            extra += round_half_up(dt * straight_60, worked * 60)
        if bonus_share is not None:
            extra += _cents(bonus_share[OVERTIME] * ot / 60) + _cents(
                bonus_share[DOUBLE_TIME] * dt / 60
            )
        bill_rate = work.bill_rate_cents
        billed = round_half_up(split[REGULAR] * bill_rate, 60)
        if ot:
            billed += round_half_up(ot * bill_rate * 3, 120)
        if dt:
            billed += round_half_up(dt * bill_rate * 2, 60)
        owed = (
            reporting_minutes(work.scheduled_minutes, work.minutes, rules)
            if work.scheduled_minutes is not None
            else 0
        )
        owed_cents = round_half_up(owed * work.pay_rate_cents, 60)
        straight += own
        overtime_premium += extra
        bill += billed
        reporting += owed_cents
        reporting_minutes_total += owed
        paid.append(
            WorkPay(
                key=work.key,
                minutes=dict(split),
                reporting_minutes=owed,
                pay_cents=own + extra + owed_cents,
                bill_cents=billed,
                client_id=work.client_id,
                job_type_id=work.job_type_id,
            )
        )
    for cancel in cancelled:
        owed = reporting_minutes(cancel.scheduled_minutes, 0, rules)
        owed_cents = round_half_up(owed * cancel.pay_rate_cents, 60)
        billed = round_half_up(owed * cancel.bill_rate_cents, 60)
        reporting += owed_cents
        reporting_minutes_total += owed
        bill += billed
        paid.append(
            WorkPay(
                key=cancel.key,
                reporting_minutes=owed,
                pay_cents=owed_cents,
                bill_cents=billed,
                client_id=cancel.client_id,
                job_type_id=cancel.job_type_id,
            )
        )
    meals = rests = 0
    if works and (rules.meal_periods or rules.rest_periods_clocked):
        for pieces in _day_intervals(days_of).values():
            if rules.meal_periods and missed_meal(pieces, rules):
                meals += 1
            if rules.rest_periods_clocked and missed_rest(pieces, rules):
                rests += 1
    period_premium = _cents(regular_rate * rules.premium_minutes / 60) * (meals + rests)
    gross = straight + overtime_premium + bonus_cents + period_premium + reporting
    return WeekPay(
        minutes=totals,
        straight_cents=straight,
        overtime_premium_cents=overtime_premium,
        bonus_cents=bonus_cents,
        meal_premiums=meals,
        rest_premiums=rests,
        period_premium_cents=period_premium,
        reporting_minutes=reporting_minutes_total,
        reporting_cents=reporting,
        gross_cents=gross,
        bill_cents=bill,
        regular_rate=regular_rate,
        works=paid,
        seventh_day=seventh,
    )


def _bonus_share(
    bonus_cents: int, worked: int, non_overtime: int, rules: PayRules
) -> dict[str, Fraction] | None:
    """What a bonus adds to each overtime (1.5x) and double-time hour, cents an hour; None
    without a bonus. FLSA: half the bonus's hourly share over all hours (a whole one for 2x);
    California's flat sum (Alvarado): the bonus over the non-overtime hours, times 1.5 (2)."""
    if not bonus_cents or not worked:
        return None
    if rules.bonus_method == BONUS_ALVARADO and non_overtime:
        rate = Fraction(bonus_cents * 60, non_overtime)
        return {OVERTIME: rate * TIME_AND_A_HALF, DOUBLE_TIME: rate * DOUBLE}
    rate = Fraction(bonus_cents * 60, worked)
    return {OVERTIME: rate / 2, DOUBLE_TIME: rate}


def _cents(value: Fraction) -> int:
    return round_half_up(value.numerator, value.denominator)


@dataclass(frozen=True)
class Cost:
    """What adding a proposed shift does to a worker's week."""

    before: WeekPay
    after: WeekPay
    # The proposed shift's own minutes at each tier (in the week with it).
    shift_minutes: dict[str, int]

    @property
    def added_minutes(self) -> dict[str, int]:
        return {tier: self.after.minutes[tier] - self.before.minutes[tier] for tier in TIERS}

    @property
    def added_pay_cents(self) -> int:
        return self.after.gross_cents - self.before.gross_cents

    @property
    def added_bill_cents(self) -> int:
        return self.after.bill_cents - self.before.bill_cents


def cost_of(
    week: Sequence[Work],
    proposed: Work,
    *,
    week_start: date,
    zone: ZoneInfo,
    cancelled: Sequence[Cancelled] = (),
    bonus_cents: int = 0,
    rules: PayRules = CALIFORNIA,
) -> Cost:
    """The week before and after the proposed shift (a shift never overlaps itself: a
    proposed shift with the key of one in the week replaces it)."""
    others = [w for w in week if w.key != proposed.key]
    same = {"week_start": week_start, "zone": zone, "cancelled": cancelled, "rules": rules}
    before = week_pay(others, bonus_cents=bonus_cents, **same)  # type: ignore[arg-type]
    after = week_pay([*others, proposed], bonus_cents=bonus_cents, **same)  # type: ignore[arg-type]
    mine = next(w for w in after.works if w.key == proposed.key)
    return Cost(before=before, after=after, shift_minutes=dict(mine.minutes))


def with_rules(base: PayRules, **changes: object) -> PayRules:
    """A CBO's rules: the defaults with its changes (unknown names refused)."""
    return replace(base, **changes)  # type: ignore[arg-type]
