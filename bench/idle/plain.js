// The baseline feed page: the clock feed's latest event in one text node, nothing else.
const out = document.getElementById("time");
const source = new EventSource("/stream");
source.onmessage = (event) => {
  out.textContent = event.data;
};
