// The live results page (polls/templates/polls/live.html): one WebSocket to
// /ws/polls/<pk>/ (polls/consumers.py) brings the counts; a vote is a normal
// POST to /polls/<pk>/vote/ with the CSRF token, answered by the sync view,
// which broadcasts the new counts to every open page. When the socket closes
// (the server restarts, say), the page opens a new one, after a wait.
// --8<-- [start:live]
// Wait RETRY_FIRST ms before the first new try, twice as long after each
// failed one, up to RETRY_MAX; each wait is drawn between half and all of
// that, so pages dropped at the same moment do not all come back together.
const RETRY_FIRST = 500;
const RETRY_MAX = 8000;

const list = document.getElementById("choices");
const status = document.getElementById("status");
const pk = list.dataset.question;
const scheme = location.protocol === "https:" ? "wss" : "ws";
let failures = 0;

function connect() {
  const socket = new WebSocket(`${scheme}://${location.host}/ws/polls/${pk}/`);
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (!message.results) return;
    if (message.type === "hello") failures = 0; // served again: waits start over
    for (const choice of message.results.choices) {
      const output = list.querySelector(`[data-choice="${choice.id}"] output`);
      output.textContent = choice.votes;
    }
    status.textContent = `live (${message.type})`;
  };
  socket.onclose = (event) => {
    const longest = Math.min(RETRY_MAX, RETRY_FIRST * 2 ** failures);
    const wait = longest / 2 + (Math.random() * longest) / 2;
    failures += 1;
    const seconds = (wait / 1000).toFixed(1);
    status.textContent = `closed (code ${event.code}), reconnecting in ${seconds} s`;
    setTimeout(connect, wait);
  };
}
connect();

list.addEventListener("click", (event) => {
  const item = event.target.closest("[data-choice]");
  if (event.target.tagName !== "BUTTON" || !item) return;
  const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
  fetch(`/polls/${pk}/vote/`, {
    method: "POST",
    headers: { "X-CSRFToken": token },
    body: new URLSearchParams({ choice: item.dataset.choice }),
  });
});
// --8<-- [end:live]
