// Seeds a Medusa 2 store with one order in every state Kramar's contract suite
// covers, through Medusa's own core-flows workflows (the same steps the Admin
// API runs), and writes what it made to KRAMAR_MEDUSA_MANIFEST as JSON:
// the secret API key and, per case, the order's number and email.
//
// Run: npx medusa exec ./src/scripts/seed.ts  (platforms/medusa/server.py does it)
import { writeFileSync } from "fs"
import {
  beginReturnOrderWorkflow,
  cancelOrderWorkflow,
  confirmReturnRequestWorkflow,
  createAndCompleteReturnOrderWorkflow,
  createApiKeysWorkflow,
  createOrderFulfillmentWorkflow,
  createOrderPaymentCollectionWorkflow,
  createOrderShipmentWorkflow,
  createOrderWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createReturnReasonsWorkflow,
  createSalesChannelsWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  markOrderFulfillmentAsDeliveredWorkflow,
  markPaymentCollectionAsPaid,
  refundPaymentWorkflow,
  requestItemReturnWorkflow,
} from "@medusajs/medusa/core-flows"
import { ExecArgs } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules, ProductStatus } from "@medusajs/framework/utils"

const FIRST_NUMBER = 10001 // order numbers look like a shop's, not 1, 2, 3
const CURRENCY = "eur"
const DAY = 24 * 60 * 60 * 1000

// sku, title, price (whole euros)
const PRODUCTS: [string, string, number][] = [
  ["KR-MUG-01", "Ceramic mug", 12],
  ["KR-TEE-M", "Cotton T-shirt", 25],
  ["KR-LAMP-DESK", "Desk lamp", 49],
  ["KR-SCARF-WOOL", "Wool scarf", 35],
]

// The bot greets customers by first name.
const FIRST_NAMES = ["Anna", "Piotr", "Jana", "Olena", "Tomasz", "Petr", "Iryna", "Marta"]

type Stage =
  | "pending_payment"
  | "paid"
  | "packed"
  | "shipped"
  | "delivered"
  | "return_in_progress"
  | "refunded"
  | "cancelled"

// case -> the state it is brought to, items (sku, quantity), days since delivery
const CASES: [string, Stage, [string, number][], number?][] = [
  ["pending_payment", "pending_payment", [["KR-MUG-01", 2]]],
  ["paid", "paid", [["KR-LAMP-DESK", 1]]],
  ["packed", "packed", [["KR-SCARF-WOOL", 1], ["KR-MUG-01", 1]]],
  ["shipped", "shipped", [["KR-TEE-M", 1], ["KR-MUG-01", 1]]],
  ["delivered", "delivered", [["KR-TEE-M", 1], ["KR-LAMP-DESK", 1]], 3],
  ["delivered_long_ago", "delivered", [["KR-SCARF-WOOL", 1]], 200],
  ["return_in_progress", "return_in_progress", [["KR-TEE-M", 2]], 6],
  ["refunded", "refunded", [["KR-MUG-01", 1]], 40],
  ["cancelled", "cancelled", [["KR-LAMP-DESK", 1]]],
  // Orders the suite changes: one per kind of change.
  ["to_cancel", "paid", [["KR-MUG-01", 1]]],
  ["to_readdress", "packed", [["KR-TEE-M", 1]]],
  ["to_return", "delivered", [["KR-TEE-M", 1], ["KR-SCARF-WOOL", 1]], 2],
  ["to_complain", "delivered", [["KR-LAMP-DESK", 1]], 5],
  // Shipped and delivered by the order-updates test (src/subscribers/kramar-order-updates.ts).
  ["to_ship", "packed", [["KR-MUG-01", 1]]],
]

export default async function seed({ container }: ExecArgs) {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const link = container.resolve(ContainerRegistrationKeys.LINK)
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const pg = container.resolve(ContainerRegistrationKeys.PG_CONNECTION)
  const fulfillmentModule = container.resolve(Modules.FULFILLMENT)
  const manifestPath = process.env.KRAMAR_MEDUSA_MANIFEST
  if (!manifestPath) throw new Error("KRAMAR_MEDUSA_MANIFEST (where to write the manifest) is not set")

  await pg.raw(`ALTER SEQUENCE IF EXISTS order_display_id_seq RESTART WITH ${FIRST_NUMBER}`)

  const { result: [region] } = await createRegionsWorkflow(container).run({
    input: {
      regions: [
        {
          name: "Central Europe",
          currency_code: CURRENCY,
          countries: ["cz", "pl", "ua"],
          payment_providers: ["pp_system_default"],
        },
      ],
    },
  })
  const { result: [channel] } = await createSalesChannelsWorkflow(container).run({
    input: { salesChannelsData: [{ name: "Kramar demo shop" }] },
  })
  const { result: [location] } = await createStockLocationsWorkflow(container).run({
    input: { locations: [{ name: "Warehouse", address: { city: "Brno", country_code: "CZ", address_1: "Skladová 1" } }] },
  })
  await linkSalesChannelsToStockLocationWorkflow(container).run({
    input: { id: location.id, add: [channel.id] },
  })
  const { result: [profile] } = await createShippingProfilesWorkflow(container).run({
    input: { data: [{ name: "Default", type: "default" }] },
  })
  const fulfillmentSet = await fulfillmentModule.createFulfillmentSets({
    name: "Warehouse delivery",
    type: "shipping",
    service_zones: [
      {
        name: "Central Europe",
        geo_zones: ["cz", "pl", "ua"].map((country_code) => ({ type: "country" as const, country_code })),
      },
    ],
  })
  await link.create([
    { [Modules.STOCK_LOCATION]: { stock_location_id: location.id }, [Modules.FULFILLMENT]: { fulfillment_set_id: fulfillmentSet.id } },
    { [Modules.STOCK_LOCATION]: { stock_location_id: location.id }, [Modules.FULFILLMENT]: { fulfillment_provider_id: "manual_manual" } },
  ])
  const courier = (name: string, isReturn: boolean) => ({
    name,
    price_type: "flat" as const,
    provider_id: "manual_manual",
    service_zone_id: fulfillmentSet.service_zones[0].id,
    shipping_profile_id: profile.id,
    type: { label: name, description: "2-3 days", code: isReturn ? "return" : "courier" },
    prices: [{ currency_code: CURRENCY, amount: isReturn ? 0 : 5 }],
    rules: [{ attribute: "is_return", operator: "eq" as const, value: String(isReturn) }],
  })
  const { result: [shippingOption, returnOption] } = await createShippingOptionsWorkflow(container).run({
    input: [courier("Courier", false), courier("Free return", true)],
  })
  await createReturnReasonsWorkflow(container).run({
    input: [{ value: "customer_request", label: "Asked for by the customer in chat" }],
  })
  const { result: products } = await createProductsWorkflow(container).run({
    input: {
      products: PRODUCTS.map(([sku, title, price]) => ({
        title,
        status: ProductStatus.PUBLISHED,
        shipping_profile_id: profile.id,
        options: [{ title: "Default", values: ["Default"] }],
        variants: [
          {
            title,
            sku,
            options: { Default: "Default" },
            manage_inventory: false,
            prices: [{ currency_code: CURRENCY, amount: price }],
          },
        ],
        sales_channels: [{ id: channel.id }],
      })),
    },
  })
  const variantBySku = new Map(products.map((p) => [p.variants[0].sku, p.variants[0].id]))

  const { result: [apiKey] } = await createApiKeysWorkflow(container).run({
    input: { api_keys: [{ title: "Kramar", type: "secret", created_by: "" }] },
  })

  const manifest: Record<string, unknown> = { api_key: apiKey.token, orders: {} }
  for (const [index, [name, stage, items, deliveredDaysAgo]] of CASES.entries()) {
    const email = `${name.replace(/_/g, ".")}@example.com`
    const { result: created } = await createOrderWorkflow(container).run({
      input: {
        region_id: region.id,
        sales_channel_id: channel.id,
        email,
        currency_code: CURRENCY,
        shipping_address: {
          first_name: FIRST_NAMES[index % FIRST_NAMES.length],
          last_name: "Nowak",
          address_1: `Krakowska ${index + 1}`,
          city: "Kraków",
          postal_code: "31-062",
          country_code: "pl",
        },
        items: items.map(([sku, quantity]) => ({ variant_id: variantBySku.get(sku)!, quantity })),
        shipping_methods: [{ name: "Courier", amount: 5, shipping_option_id: shippingOption.id }],
      },
    })
    const orderId = created.id
    const lines = async () => {
      const { data: [order] } = await query.graph({
        entity: "order",
        fields: ["id", "items.id", "items.quantity", "total", "payment_collections.payments.id"],
        filters: { id: orderId },
      })
      return order
    }
    if (stage === "cancelled") {
      await cancelOrderWorkflow(container).run({ input: { order_id: orderId } })
    }
    if (stage !== "pending_payment" && stage !== "cancelled") {
      const order = await lines()
      const { result: [collection] } = await createOrderPaymentCollectionWorkflow(container).run({
        input: { order_id: orderId, amount: Number(order.total) },
      })
      await markPaymentCollectionAsPaid(container).run({
        input: { order_id: orderId, payment_collection_id: collection.id },
      })
    }
    const afterPacking = ["packed", "shipped", "delivered", "return_in_progress", "refunded"]
    if (afterPacking.includes(stage)) {
      const order = await lines()
      const everything = order.items.map((item) => ({ id: item.id, quantity: Number(item.quantity) }))
      const fulfillment = await createOrderFulfillmentWorkflow(container).run({
        input: { order_id: orderId, items: everything, location_id: location.id },
      })
      const fulfillmentId = fulfillment.result.id
      if (stage !== "packed") {
        const tracking = `PL${String(700000 + index * 137)}CZ`
        await createOrderShipmentWorkflow(container).run({
          input: {
            order_id: orderId,
            fulfillment_id: fulfillmentId,
            items: everything,
            labels: [
              {
                tracking_number: tracking,
                tracking_url: `https://tracking.example/${tracking}`,
                label_url: `https://labels.example/${tracking}.pdf`,
              },
            ],
          },
        })
      }
      if (deliveredDaysAgo !== undefined) {
        await markOrderFulfillmentAsDeliveredWorkflow(container).run({
          input: { orderId, fulfillmentId },
        })
        const when = new Date(Date.now() - deliveredDaysAgo * DAY)
        await fulfillmentModule.updateFulfillment(fulfillmentId, { delivered_at: when, shipped_at: new Date(when.getTime() - 2 * DAY) })
      }
      if (stage === "return_in_progress") {
        const { result: orderReturn } = await beginReturnOrderWorkflow(container).run({
          input: { order_id: orderId, metadata: { kramar_reason: "Too small" } },
        })
        await requestItemReturnWorkflow(container).run({
          input: { return_id: orderReturn.return_id, items: [{ id: everything[0].id, quantity: 1 }] },
        })
        await confirmReturnRequestWorkflow(container).run({ input: { return_id: orderReturn.return_id } })
      }
      if (stage === "refunded") {
        await createAndCompleteReturnOrderWorkflow(container).run({
          input: {
            order_id: orderId,
            items: everything,
            receive_now: true,
            location_id: location.id,
            return_shipping: { option_id: returnOption.id },
          },
        })
        const paid = await lines()
        const payment = paid.payment_collections[0].payments[0]
        await refundPaymentWorkflow(container).run({ input: { payment_id: payment.id } })
      }
    }
    ;(manifest.orders as Record<string, unknown>)[name] = {
      number: created.display_id,
      email,
      state: stage,
    }
    logger.info(`Seeded order ${created.display_id} (${name})`)
  }
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2))
  logger.info(`Wrote ${manifestPath}`)
}
