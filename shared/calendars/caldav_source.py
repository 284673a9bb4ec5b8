"""Reading a CalDAV calendar with the `caldav` client, through the guarded session of shared.calendars.fetch.

One calendar-query REPORT with a time-range filter for the window; the server returns each event whose
series touches it, master and overrides together, and shared.calendars.busy expands them exactly as it
does an ICS file (so both kinds of source follow one set of rules).
"""

from __future__ import annotations

import caldav
from caldav.lib import error as caldav_error

from shared.calendars import fetch


def calendar_documents(plan) -> list[str]:
    """The iCalendar text of every event in the plan's window; FetchError with a safe message otherwise."""
    client = caldav.DAVClient(url=plan.url, username=plan.username, password=plan.password)
    client.session.close()
    client.session = fetch.guarded_session()  # every request, redirects included, passes the guard
    try:
        calendar = client.calendar(url=plan.url)
        events = calendar.search(start=plan.window_start, end=plan.window_end, event=True, expand=False)
        return [event.data for event in events]
    except fetch.FetchError:
        raise
    except caldav_error.AuthorizationError:
        raise fetch.FetchError("The CalDAV server refused the user name or password.") from None
    except caldav_error.NotFoundError:
        raise fetch.FetchError("The CalDAV server has no calendar at this URL.") from None
    except caldav_error.DAVError:
        raise fetch.FetchError("The CalDAV server refused the calendar query.") from None
    except Exception:  # noqa: BLE001 - the client raises many kinds on odd answers
        raise fetch.FetchError("The CalDAV server's answer could not be read.") from None
    finally:
        client.session.close()
