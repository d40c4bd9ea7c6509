// Copy buttons: a button with data-copy="ID" puts the text of the element ID on the clipboard and says so.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copy + "-status");
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    if (status) status.textContent = button.dataset.done;
  } catch (error) {
    // no clipboard (an old browser, a page not served over https): select the text so that Ctrl+C copies it
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    if (status) status.textContent = button.dataset.selected;
  }
});
