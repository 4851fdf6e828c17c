// A workerd worker that runs the suite on request and answers with the summary as JSON.
import { run } from "./entry.js";

export default {
  async fetch() {
    return Response.json(await run());
  },
};
