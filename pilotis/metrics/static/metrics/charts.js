// Draws every chart of a page: <figure data-chart="ID"> with its Vega-Lite spec in the
// <script type="application/json" id="ID-spec"> next to it (never executed: CSP-safe).
// Vega evaluates expressions with its interpreter, so the CSP needs no 'unsafe-eval'.
// The vega-embed menu exports each chart as PNG or SVG; its data table sits in the page.
import { expressionInterpreter } from "../vendor/vega/vega-interpreter.js";

const french = document.documentElement.lang.startsWith("fr");

const formatLocale = french
  ? { decimal: ",", thousands: "\u202f", grouping: [3], currency: ["", "\u00a0€"], percent: "\u202f%" }
  : { decimal: ".", thousands: ",", grouping: [3], currency: ["€", ""] };

const timeFormatLocale = french
  ? {
      dateTime: "%A %e %B %Y à %X",
      date: "%d/%m/%Y",
      time: "%H:%M:%S",
      periods: ["AM", "PM"],
      days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
      shortDays: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
      months: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre"],
      shortMonths: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
        "oct.", "nov.", "déc."],
    }
  : undefined;

const labels = french
  ? {
      CLICK_TO_VIEW_ACTIONS: "Exporter le graphique",
      PNG_ACTION: "Enregistrer en PNG",
      SVG_ACTION: "Enregistrer en SVG",
    }
  : {
      CLICK_TO_VIEW_ACTIONS: "Export the chart",
      PNG_ACTION: "Save as PNG",
      SVG_ACTION: "Save as SVG",
    };

async function draw(figure) {
  const id = figure.dataset.chart;
  const source = document.getElementById(`${id}-spec`);
  const target = figure.querySelector(".chart-canvas");
  if (!source || !target) return;
  const spec = JSON.parse(source.textContent);
  try {
    await window.vegaEmbed(target, spec, {
      ast: true,
      expr: expressionInterpreter,
      renderer: "svg",
      defaultStyle: false,
      actions: { export: true, source: false, compiled: false, editor: false },
      downloadFileName: id,
      i18n: labels,
      // vega-tooltip's own stylesheet is an inline <style>, which the CSP refuses: pilotis.css
      // styles the tooltip instead.
      tooltip: { disableDefaultStyle: true },
      formatLocale,
      timeFormatLocale,
    });
    // The drawing is decorative for assistive technologies: the caption and the table next to
    // it say the same (RGAA 1.3).
    const svg = target.querySelector("svg");
    if (svg) {
      svg.setAttribute("aria-hidden", "true");
      svg.setAttribute("focusable", "false");
    }
    figure.classList.add("chart-drawn");
  } catch (error) {
    target.textContent = french
      ? "Le graphique n’a pas pu être dessiné ; ses données sont dans le tableau ci-dessous."
      : "The chart could not be drawn; its data is in the table below.";
    console.error(error);
  }
}

document.querySelectorAll("figure[data-chart]").forEach(draw);
