// Progressive enhancement only: every page works without this file.
// - Highlights the timeline row a reader jumped to from the overview strip.
// - On the report form, adds, removes and reorders rows in place (without
//   it, those buttons post the form back and the server does the same), and
//   shows a live Markdown preview rendered by the server, and offers the
//   reports whose titles match as a related link is typed (without it, the
//   link's Find button posts the form back and the server lists them), and
//   keeps the side panel of earlier and similar incidents in step with what
//   is typed (without it, the panel's button posts the form back).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  markTarget();
  document.querySelectorAll("form.report-form").forEach(enhanceForm);
  // Tells tests (and curious readers) the enhancements are in place.
  document.documentElement.dataset.enhanced = "true";
});

function markTarget() {
  const mark = () => {
    document.querySelectorAll(".events li.target").forEach((row) => row.classList.remove("target"));
    const id = decodeURIComponent(window.location.hash.slice(1));
    const row = id && document.getElementById(id);
    if (row && row.closest(".events")) {
      row.classList.add("target");
    }
  };
  window.addEventListener("hashchange", mark);
  mark();
}

function enhanceForm(form) {
  form.querySelectorAll("[data-rows]").forEach(enhanceRows);
  form.querySelectorAll("textarea[data-preview]").forEach(enhancePreview);
  // Rows added later are reached through the form.
  form.addEventListener("input", (event) => {
    if (event.target.matches("[data-find-report]")) {
      suggestReports(event.target);
    }
  });
  const panel = document.getElementById("happened-before");
  if (panel) {
    const refresh = () => refreshPanel(form, panel);
    form.addEventListener("input", (event) => {
      if (PANEL_FIELDS.test(event.target.name || "")) {
        clearTimeout(panelTimer);
        panelTimer = setTimeout(refresh, 900);
      }
    });
    form.addEventListener("change", (event) => {
      if (PANEL_FIELDS.test(event.target.name || "")) {
        clearTimeout(panelTimer);
        panelTimer = setTimeout(refresh, 200);
      }
    });
  }
}

// Action items name factors by their row: when factor rows move or go in
// place, the tick boxes follow their factors, in the action rows and in the
// blank row new ones are copied from, as the server does without script.
function remapAddresses(form, mapping) {
  const roots = [form, ...Array.from(form.querySelectorAll("template[data-row-template]"), (t) => t.content)];
  for (const root of roots) {
    root.querySelectorAll("fieldset.addresses").forEach((set) => {
      for (const label of Array.from(set.querySelectorAll("label.check"))) {
        const box = label.querySelector("input");
        const to = mapping[Number(box.value)];
        if (to === null || to === undefined) {
          label.remove();
          continue;
        }
        box.value = String(to);
        const text = label.lastChild;
        if (text && text.nodeType === Node.TEXT_NODE) {
          text.textContent = text.textContent.replace(/^\s*\d+ ·/, ` ${to + 1} ·`);
        }
      }
      const labels = Array.from(set.querySelectorAll("label.check"));
      labels.sort((a, b) => Number(a.querySelector("input").value) - Number(b.querySelector("input").value));
      labels.forEach((label) => set.appendChild(label));
    });
  }
}

// The fields the side panel is looked up from.
const PANEL_FIELDS =
  /^(title|summary|services|tags|zone|(started|detected|mitigated|resolved)_at|factors\[\d+\]\.(category|text)|related\[\d+\]\.(kind|slug))$/;
let panelTimer = null;
let panelTicket = 0;

// Asks the server for the panel as the form reads now; an answer that
// arrives after a newer question is dropped.
async function refreshPanel(form, panel) {
  const ticket = ++panelTicket;
  try {
    const response = await fetch("/incidents/happened-before", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    if (!response.ok || ticket !== panelTicket) {
      return;
    }
    const html = await response.text();
    const fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-before-panel]");
    const current = panel.querySelector("[data-before-panel]");
    if (fresh && current && fresh.textContent !== current.textContent) {
      current.replaceWith(document.importNode(fresh, true));
    }
  } catch (error) {
    // The panel keeps what it showed; its button still works.
  }
}

// Fills a related link's list of choices with the published reports whose
// words match what is typed: the choice's value is the report's address,
// its label the title.
const suggestions = new WeakMap();
function suggestReports(input) {
  clearTimeout(suggestions.get(input));
  suggestions.set(
    input,
    setTimeout(async () => {
      const words = input.value.trim();
      const choices = document.getElementById(input.getAttribute("list"));
      if (!choices || words.length < 2) {
        return;
      }
      try {
        const response = await fetch(`/api/v1/search?limit=6&q=${encodeURIComponent(words)}`, {
          headers: { Accept: "application/json" },
        });
        if (!response.ok) {
          return;
        }
        const results = await response.json();
        choices.replaceChildren(
          ...results.hits.map((hit) => {
            const option = document.createElement("option");
            option.value = hit.slug;
            option.label = hit.title;
            return option;
          }),
        );
      } catch {
        // Without suggestions the Find button still works.
      }
    }, 250),
  );
}

// Rows: names look like `timeline[2].text`, ids like `timeline-2-text`, row
// buttons carry `remove:timeline:2`. After any change every row is renumbered
// so the posted form reads exactly as if the server had made the change.
function enhanceRows(group) {
  const section = group.dataset.rows;
  const list = group.querySelector("[data-row-list]");
  const template = group.querySelector("template[data-row-template]");
  const add = group.querySelector("[data-row-add]");
  if (!list || !template || !add) {
    return;
  }
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  group.appendChild(status);
  const rows = () => Array.from(list.querySelectorAll(":scope > [data-row]"));

  const renumber = () => {
    const index = new RegExp(`^(${section})(\\[|-)(\\d+|__i__)(\\]|-)`);
    rows().forEach((row, i) => {
      row.querySelectorAll("[name], [id], [for], [aria-describedby], [list]").forEach((el) => {
        for (const attr of ["name", "id", "for", "aria-describedby", "list"]) {
          const value = el.getAttribute(attr);
          if (value) {
            el.setAttribute(attr, value.replace(index, `$1$2${i}$4`));
          }
        }
      });
      row.querySelectorAll("[data-row-op]").forEach((button) => {
        button.value = button.value.replace(/:(\d+|__i__)$/, `:${i}`);
        const label = button.getAttribute("aria-label") || "";
        button.setAttribute("aria-label", label.replace(/\b(\d+|__n__)\b/, String(i + 1)));
      });
      // `find:related:2`, `choose:related:2:slug`
      row.querySelectorAll("[data-renumber]").forEach((button) => {
        button.value = button.value.replace(/^(\w+:\w+:)(\d+|__i__)/, `$1${i}`);
        const label = button.getAttribute("aria-label");
        if (label) {
          button.setAttribute("aria-label", label.replace(/\b(\d+|__n__)\b/, String(i + 1)));
        }
      });
      const number = row.querySelector("[data-number]");
      if (number) {
        number.textContent = String(i + 1);
      }
    });
  };

  add.addEventListener("click", (event) => {
    event.preventDefault();
    const row = template.content.firstElementChild.cloneNode(true);
    list.appendChild(row);
    renumber();
    const first = row.querySelector("input, select, textarea");
    if (first) {
      first.focus();
    }
    status.textContent = `Added row ${rows().length}.`;
  });

  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-row-op]");
    if (!button || !list.contains(button)) {
      return;
    }
    event.preventDefault();
    const row = button.closest("[data-row]");
    const op = button.dataset.rowOp;
    // Where each row goes: its new place, or null when it is removed.
    const at = rows().indexOf(row);
    const mapping = rows().map((_, i) => i);
    if (op === "remove") {
      mapping.splice(at, 1, null);
      for (let i = at + 1; i < mapping.length; i++) {
        mapping[i] = i - 1;
      }
    } else if (op === "up" && at > 0) {
      [mapping[at - 1], mapping[at]] = [at, at - 1];
    } else if (op === "down" && at + 1 < mapping.length) {
      [mapping[at], mapping[at + 1]] = [at + 1, at];
    }
    if (section === "factors") {
      remapAddresses(group.closest("form"), mapping);
    }
    if (op === "remove") {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber();
      (next ? next.querySelector("input, select, textarea") : add).focus();
      status.textContent = "Row removed.";
      return;
    }
    if (op === "up" && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
    } else if (op === "down" && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    } else {
      return;
    }
    renumber();
    const again = row.querySelector(`[data-row-op="${op}"]`);
    if (again) {
      again.focus();
    }
    status.textContent = `Row moved to position ${rows().indexOf(row) + 1}.`;
  });
}

// A "Live preview" switch under each Markdown field; the server renders and
// sanitises the text exactly as the report page will.
function enhancePreview(textarea) {
  const toggle = document.createElement("label");
  toggle.className = "check preview-toggle";
  const box = document.createElement("input");
  box.type = "checkbox";
  toggle.append(box, " Live preview");
  const output = document.createElement("div");
  output.className = "preview prose";
  output.hidden = true;
  output.setAttribute("aria-live", "polite");
  output.setAttribute("role", "region");
  output.setAttribute("aria-label", `Preview of ${textarea.labels[0] ? textarea.labels[0].firstChild.textContent.trim() : "the text"}`);
  textarea.after(toggle, output);

  let timer = null;
  let sent = 0;
  const render = async () => {
    const ticket = ++sent;
    try {
      const response = await fetch("/api/v1/preview", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ markdown: textarea.value }),
        credentials: "same-origin",
      });
      const body = await response.json();
      if (ticket !== sent) {
        return;
      }
      if (response.ok) {
        output.innerHTML = body.html || "<p class=\"soft\">Nothing to preview yet.</p>";
      } else {
        output.textContent = body.detail || "The preview could not be made.";
      }
    } catch (error) {
      output.textContent = "The preview could not be made: the server did not answer.";
    }
  };
  box.addEventListener("change", () => {
    output.hidden = !box.checked;
    if (box.checked) {
      render();
    }
  });
  textarea.addEventListener("input", () => {
    if (!box.checked) {
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(render, 300);
  });
}
