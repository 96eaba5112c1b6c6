// The live results page (polls/templates/polls/live.html): one WebSocket to
// /ws/polls/<pk>/ (polls/consumers.py) brings the counts; a vote is a normal
// POST to /polls/<pk>/vote/ with the CSRF token, answered by the sync view,
// which broadcasts the new counts to every open page.
// --8<-- [start:live]
const list = document.getElementById("choices");
const status = document.getElementById("status");
const pk = list.dataset.question;
const scheme = location.protocol === "https:" ? "wss" : "ws";
const socket = new WebSocket(`${scheme}://${location.host}/ws/polls/${pk}/`);

socket.onmessage = (event) => {
  const message = JSON.parse(event.data);
  if (!message.results) return;
  for (const choice of message.results.choices) {
    list.querySelector(`[data-choice="${choice.id}"] output`).textContent = choice.votes;
  }
  status.textContent = `live (${message.type})`;
};
socket.onclose = (event) => { status.textContent = `closed (code ${event.code})`; };

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
