"""The one exception type the command line turns into a one-line error."""


class LivepxeError(Exception):
    """A problem the user can fix: the message names it and says what to do.

    The CLI prints ``livepxe: error: <message>`` and exits non-zero, so a
    message must fit on one line and never needs a traceback to make sense.
    """
