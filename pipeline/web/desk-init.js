// GOV.UK Frontend's components (the password input's "Show" button, the notification banner's
// focus) need their script started once the page has loaded.
import { initAll } from "/assets/govuk-frontend.min.js";
initAll();
