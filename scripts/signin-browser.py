#!/usr/bin/env python3
"""A browser for `mfa-env login` against the demo's local STS, for scripts/bench: it opens the
URL it is given (mfa-env's one-time local address, which redirects to the authorization page),
presses the page's Allow button (a GET form), and follows the redirect back to mfa-env."""
import re
import sys
import urllib.parse
import urllib.request

page = urllib.request.urlopen(sys.argv[1], timeout=30)
html = page.read().decode()
request = re.search(r'name="request" value="([^"]+)"', html)
if not request:
    sys.exit("signin-browser: no Allow button on the page")
approve = urllib.parse.urljoin(page.geturl(), "/v1/authorize/approve?request=" + request.group(1))
urllib.request.urlopen(approve, timeout=30).read()
