"""The example project under a real uvicorn process, over real HTTP."""

import json
import signal
import time

import httpx
import pytest

from guide.services.processes import example_env, free_port, uvicorn
from helpers import failed_start

LIFESPAN_UNSUPPORTED = "ASGI 'lifespan' protocol appears unsupported."
QUESTIONS = ["What's new?", "Sync or async?", "Which ASGI server?"]


def texts(payload):
    return [question["text"] for question in payload["questions"]]


def test_home_lists_endpoints_built_with_reverse(wrapped_server, client):
    response = client.get(wrapped_server.url + "/")
    assert response.status_code == 200
    assert response.json()["endpoints"] == {
        "index": "/polls/",
        "async_index": "/polls/async/",
        "blocking": "/polls/blocking/",
        "stream": "/polls/stream/",
    }


def test_sync_view_reads_the_database(wrapped_server, client):
    response = client.get(wrapped_server.url + "/polls/")
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert texts(response.json()) == QUESTIONS


def test_async_view_uses_the_async_orm(wrapped_server, client):
    response = client.get(wrapped_server.url + "/polls/async/")
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert texts(response.json()) == QUESTIONS


def test_async_detail_view_aget_and_404(wrapped_server, client):
    found = client.get(wrapped_server.url + "/polls/async/2/")
    assert found.status_code == 200
    assert found.json() == {"id": 2, "text": "Sync or async?"}
    assert client.get(wrapped_server.url + "/polls/async/999/").status_code == 404


def test_async_view_calls_blocking_code_through_sync_to_async(wrapped_server, client):
    response = client.get(wrapped_server.url + "/polls/blocking/")
    assert response.status_code == 200
    assert response.json() == {"questions": 3}


def test_async_view_using_the_sync_orm_fails_with_synchronous_only_operation(
    wrapped_server, client
):
    response = client.get(wrapped_server.url + "/polls/unsafe/")
    assert response.status_code == 500
    wrapped_server.wait_for_output("django.core.exceptions.SynchronousOnlyOperation")


@pytest.mark.parametrize(
    "path", ["/", "/polls/", "/polls/async/", "/nope/", "/static/polls/style.css"]
)
def test_server_timing_header_on_every_response(wrapped_server, client, path):
    response = client.get(wrapped_server.url + path)
    metric, duration = response.headers["server-timing"].split(";dur=")
    assert metric == "app"
    assert float(duration) >= 0


def test_static_file_is_served_with_its_content_type(wrapped_server, client):
    response = client.get(wrapped_server.url + "/static/polls/style.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "font-family" in response.text


def test_stream_sends_events_one_by_one(wrapped_server):
    arrivals = []
    interval = 0.4
    url = wrapped_server.url + f"/polls/stream/?count=3&interval={interval}"
    with httpx.stream("GET", url, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic(), json.loads(line[6:])))
    assert [event["n"] for _, event in arrivals] == [1, 2, 3]
    gaps = [b[0] - a[0] for a, b in zip(arrivals, arrivals[1:], strict=False)]
    # Each event arrived when it was produced, not all at once at the end: a
    # buffered stream delivers them within microseconds of each other. (Relative
    # to the interval, so a loaded machine that delays an event does not fail it.)
    assert sum(gaps) >= (len(gaps) * interval) / 2, gaps
    assert min(gaps) >= interval / 4, gaps
    wrapped_server.wait_for_output("stream finished after 3 events")


def test_stream_stops_when_the_client_disconnects(wrapped_server):
    url = wrapped_server.url + "/polls/stream/?count=100&interval=0.1"
    received = 0
    with httpx.stream("GET", url, timeout=10) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                received += 1
                if received == 2:
                    break
    output = wrapped_server.wait_for_output("stream cancelled: client disconnected after")
    assert "stream finished after 100 events" not in output


@pytest.mark.parametrize("query", ["count=0", "count=abc", "interval=-1", "count=101"])
def test_stream_rejects_bad_parameters(wrapped_server, client, query):
    response = client.get(wrapped_server.url + "/polls/stream/?" + query)
    assert response.status_code == 400


def test_unknown_path_answers_404_and_the_server_keeps_serving(wrapped_server, client):
    assert client.get(wrapped_server.url + "/no/such/page/").status_code == 404
    assert client.get(wrapped_server.url + "/polls/").status_code == 200


def test_disallowed_host_answers_400_and_the_server_keeps_serving(wrapped_server, client):
    response = client.get(wrapped_server.url + "/polls/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert client.get(wrapped_server.url + "/polls/").status_code == 200


def test_lifespan_hooks_run_at_startup_and_shutdown(dev_env, client):
    server = uvicorn("mysite.asgi_wrapped:application", free_port(), dev_env)
    with server:
        assert client.get(server.url + "/polls/").status_code == 200
        startup = server.output()
    # uvicorn re-raises the SIGTERM it handled once shut down, so it exits
    # "killed by SIGTERM" (-15) after a graceful shutdown.
    assert server.returncode == -signal.SIGTERM
    assert "startup hook ran: database ready, 3 questions" in startup
    assert "Application startup complete." in startup
    assert LIFESPAN_UNSUPPORTED not in startup
    output = server.output()
    assert "shutdown hook ran after" in output
    assert "Application shutdown complete." in output
    assert "Finished server process" in output


def test_failing_startup_hook_stops_the_server(tmp_path):
    # An empty database: the startup hook's query fails, so uvicorn refuses to start.
    env = example_env(MYSITE_SQLITE_PATH=tmp_path / "empty.sqlite3")
    output = failed_start(uvicorn("mysite.asgi_wrapped:application", free_port(), env))
    assert "check_database failed: OperationalError: no such table: polls_question" in output


def test_plain_django_application_has_no_lifespan_and_no_middleware(plain_server, client):
    response = client.get(plain_server.url + "/polls/")
    assert response.status_code == 200
    assert "server-timing" not in response.headers
    assert LIFESPAN_UNSUPPORTED in plain_server.output()


def test_mounted_django_reverses_prefixed_urls(mounted_server, client):
    response = client.get(mounted_server.url + "/django/")
    assert response.status_code == 200
    payload = response.json()
    assert payload["script_name"] == "/django"
    assert payload["path"] == "/django/"
    assert payload["path_info"] == "/"
    assert payload["endpoints"]["index"] == "/django/polls/"
    polls = client.get(mounted_server.url + payload["endpoints"]["index"])
    assert polls.status_code == 200
    assert polls.json()["count"] == 3


def test_mounted_router_serves_the_other_app_and_redirects_bare_prefix(mounted_server, client):
    health = client.get(mounted_server.url + "/health/")
    assert health.json() == {"status": "ok", "root_path": "/health"}
    bare = client.get(mounted_server.url + "/django?x=1")
    assert bare.status_code == 308
    assert bare.headers["location"] == "/django/?x=1"
    missing = client.get(mounted_server.url + "/elsewhere/")
    assert missing.status_code == 404
    assert missing.text == "Not Found\n"
    assert LIFESPAN_UNSUPPORTED not in mounted_server.output()


def _votes(payload):
    return {choice["text"]: choice["votes"] for choice in payload["choices"]}


def test_vote_is_csrf_protected_validated_and_counted(wrapped_server):
    with httpx.Client(base_url=wrapped_server.url, timeout=10) as http:
        before = http.get("/polls/3/")
        assert before.status_code == 200
        token = http.cookies["csrftoken"]
        granian = next(c["id"] for c in before.json()["choices"] if c["text"] == "Granian")

        # No token: Django's CSRF middleware refuses the POST.
        refused = httpx.post(wrapped_server.url + "/polls/3/vote/", data={"choice": granian})
        assert refused.status_code == 403

        voted = http.post(
            "/polls/3/vote/", data={"choice": granian}, headers={"X-CSRFToken": token}
        )
        assert voted.status_code == 200
        assert _votes(voted.json())["Granian"] == _votes(before.json())["Granian"] + 1

        headers = {"X-CSRFToken": token}
        assert http.post("/polls/3/vote/", data={"choice": "x"}, headers=headers).status_code == 400
        # Choice 1 belongs to question 1, not 3.
        wrong = http.post("/polls/3/vote/", data={"choice": "1"}, headers=headers)
        assert wrong.status_code == 404
        assert wrong.json() == {"error": "question 3 has no choice 1"}
        assert http.get("/polls/3/vote/").status_code == 405
        assert http.get("/polls/999/").status_code == 404
        assert _votes(http.get("/polls/3/").json()) == _votes(voted.json())


# Form values that str.isdigit() takes for digits: a superscript two (int()
# raises), an Arabic-Indic one (int() reads it as 1), and a number too long for
# int() (Python's 4,300-digit limit). Each is answered 400, and nothing is counted.
BAD_CHOICES = {"superscript-two": "²", "arabic-indic-one": "١", "4301-digits": "1" * 4301}


@pytest.mark.parametrize("choice", BAD_CHOICES.values(), ids=BAD_CHOICES)
def test_vote_answers_400_to_a_choice_that_is_not_ascii_digits(wrapped_server, choice):
    logged = len(wrapped_server.output())
    with httpx.Client(base_url=wrapped_server.url, timeout=10) as http:
        before = http.get("/polls/1/")
        headers = {"X-CSRFToken": http.cookies["csrftoken"]}
        response = http.post("/polls/1/vote/", data={"choice": choice}, headers=headers)
        assert response.status_code == 400
        assert response.json() == {"error": "choice must be the id of one of the choices"}
        assert http.get("/polls/1/").json() == before.json()
        # A well-formed id that is no choice of the question is still a 404,
        # even one past the largest id the database can hold.
        missing = http.post("/polls/1/vote/", data={"choice": "9" * 19}, headers=headers)
        assert missing.status_code == 404
    assert "Traceback" not in wrapped_server.output()[logged:]
