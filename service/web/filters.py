"""Filters shared by several lists: a date range over the records' date intervals."""

from __future__ import annotations

from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def in_date_range(query, model, args: dict):
    """Keep the records whose interval (`date_earliest` to `date_latest`) overlaps, or lies within, the range of
    `from` and `to`; records of unknown date drop out. Each bound on the earliest day also bounds the sort key,
    which starts with it, so a page is still read in order from the sort-key index."""
    start, end, within = args.get("from_"), args.get("to"), args.get("date_match") == "within"
    if start is None and end is None:
        return query
    if start is not None:
        if within:
            query = query.where((model.date_earliest >= start) & (model.sort_key >= start.isoformat()))
        else:
            query = query.where(model.date_latest >= start)
    if end is not None:
        last = model.date_latest <= end if within else model.date_earliest <= end
        if end < date.max:  # 9999-12-31 has no next day: the date condition alone bounds the range then
            last &= model.sort_key < (end + ONE_DAY).isoformat()
        query = query.where(last)
    return query
