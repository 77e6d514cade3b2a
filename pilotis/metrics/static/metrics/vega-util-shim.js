// vega-interpreter (an ES module) imports three helpers from vega-util; the vega bundle loaded
// before it (window.vega) already carries them. `make assets` points its import here.
const v = window.vega;
export const ascending = v.ascending;
export const isString = v.isString;
export const DisallowedObjectProperties = v.DisallowedObjectProperties;
