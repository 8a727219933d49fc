/** Builds the Hono app from its dependencies: middleware, routes and the one error handler. */
import { Hono } from "hono";
import { jsxRenderer } from "hono/jsx-renderer";
import { requestId } from "hono/request-id";
import { Layout } from "../components/Layout.tsx";
import { assetRoutes, assetUrl } from "./assets.ts";
import type { AppDeps, AppEnv } from "./env.ts";
import { errorHandler, notFound } from "./errors.tsx";
import { healthRoutes } from "./health.ts";
import { homeRoutes } from "./home.tsx";
import { requestLog } from "./request_log.ts";
import { securityHeaders } from "./security_headers.ts";

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const stylesheet = assetUrl(deps.assets, "app.css");
  const scripts = [assetUrl(deps.assets, "vendor/htmx.min.js"), assetUrl(deps.assets, "app.js")];

  app.use(requestId());
  app.use(requestLog(deps.log));
  app.use(securityHeaders);
  app.use(async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use(
    jsxRenderer(({ children, title }) => (
      <Layout title={title} stylesheet={stylesheet} scripts={scripts}>{children}</Layout>
    )),
  );

  app.route("/", assetRoutes(deps.assets));
  app.route("/", healthRoutes);
  app.route("/", homeRoutes);

  app.notFound(notFound);
  app.onError(errorHandler(deps.log));
  return app;
}
