// Medusa 2 for Kramar's contract tests and `make run` with SHOP_PLATFORM=medusa.
// Everything comes from the environment (platforms/medusa/server.py sets it);
// the admin dashboard is off: Kramar uses only the Admin API.
import { defineConfig, loadEnv } from "@medusajs/framework/utils"

loadEnv(process.env.NODE_ENV || "development", process.cwd())

export default defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    http: {
      storeCors: process.env.STORE_CORS || "http://localhost:8000",
      adminCors: process.env.ADMIN_CORS || "http://localhost:9000",
      authCors: process.env.AUTH_CORS || "http://localhost:9000",
      jwtSecret: process.env.JWT_SECRET || "kramar-local-only",
      cookieSecret: process.env.COOKIE_SECRET || "kramar-local-only",
    },
  },
  admin: { disable: true },
})
