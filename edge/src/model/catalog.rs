//! Products, categories, and what admins send to change them.

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shop_proto::products::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use super::money::{Money, money};

/// A catalog entry.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct Product {
    /// UUIDv7.
    #[schema(value_type = String)]
    pub id: ID,
    /// Stock-keeping unit, unique.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Plain-text description.
    pub description: String,
    /// Unit price.
    pub price: Money,
    /// Category.
    pub category: String,
    /// Image URL; may be empty.
    pub image_url: String,
    /// Units available to buy now (on hand minus reserved).
    pub stock: i32,
    /// Units physically on hand.
    pub stock_on_hand: i32,
    /// Units held by orders being checked out.
    pub stock_reserved: i32,
    /// Deleted from the catalog (old orders still show it).
    pub archived: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<pb::Product> for Product {
    fn from(p: pb::Product) -> Self {
        let at =
            |t: Option<prost_types::Timestamp>| t.as_ref().and_then(shop_runtime::time::from_proto).unwrap_or_default();
        Self {
            id: ID(p.id),
            sku: p.sku,
            name: p.name,
            description: p.description,
            price: money(p.price),
            category: p.category,
            image_url: p.image_url,
            stock: p.stock,
            stock_on_hand: p.stock_on_hand,
            stock_reserved: p.stock_reserved,
            archived: p.archived,
            created_at: at(p.created_at),
            updated_at: at(p.updated_at),
        }
    }
}

/// A category of the catalog.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct Category {
    /// Its name.
    pub name: String,
    /// How many active products it has.
    pub product_count: i32,
}

/// A new product.
#[derive(Debug, Clone, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
pub struct CreateProductInput {
    /// Unique sku: 1 to 64 letters, digits, '-' and '_'.
    #[schema(pattern = r"^\s*[A-Za-z0-9_-]{1,64}\s*$")]
    pub sku: String,
    /// Display name, up to 200 characters.
    #[schema(
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 200
    )]
    pub name: String,
    /// Plain-text description, up to 5000 characters.
    #[serde(default)]
    #[graphql(default)]
    #[schema(max_length = 5000)]
    pub description: String,
    /// Unit price, in the catalog currency: 1 to 100,000,000,000 minor units.
    #[schema(schema_with = price_schema)]
    pub price: Money,
    /// Category, up to 100 characters.
    #[schema(
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 100
    )]
    pub category: String,
    /// Image URL (http or https), or empty.
    #[serde(default)]
    #[graphql(default)]
    #[schema(pattern = r"^\s*(https?://[^\s\u0000]{0,1990})?\s*$")]
    pub image_url: String,
    /// Initial stock on hand, 0 to 1,000,000.
    #[serde(default)]
    #[graphql(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub stock: i32,
}

impl From<CreateProductInput> for pb::CreateProductRequest {
    fn from(input: CreateProductInput) -> Self {
        Self {
            sku: input.sku,
            name: input.name,
            description: input.description,
            price: Some(input.price.into()),
            category: input.category,
            image_url: input.image_url,
            stock: input.stock,
        }
    }
}

/// Changes to a product: at least one field; absent fields stay as they
/// are. Stock changes go through stock adjustments.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
pub struct UpdateProductInput {
    /// New sku.
    #[schema(nullable = false, pattern = r"^\s*[A-Za-z0-9_-]{1,64}\s*$")]
    #[serde(default, deserialize_with = "present")]
    pub sku: Option<String>,
    /// New name.
    #[schema(
        nullable = false,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 200
    )]
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    /// New description.
    #[schema(nullable = false, max_length = 5000)]
    #[serde(default, deserialize_with = "present")]
    pub description: Option<String>,
    /// New unit price: 1 to 100,000,000,000 minor units.
    #[schema(schema_with = price_schema)]
    #[serde(default, deserialize_with = "present")]
    pub price: Option<Money>,
    /// New category.
    #[schema(
        nullable = false,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 100
    )]
    #[serde(default, deserialize_with = "present")]
    pub category: Option<String>,
    /// New image URL ("" clears it).
    #[schema(nullable = false, pattern = r"^\s*(https?://[^\s\u0000]{0,1990})?\s*$")]
    #[serde(default, deserialize_with = "present")]
    pub image_url: Option<String>,
}

impl UpdateProductInput {
    /// The request for `product_id`.
    pub fn into_request(self, product_id: String) -> pb::UpdateProductRequest {
        pb::UpdateProductRequest {
            product_id,
            sku: self.sku,
            name: self.name,
            description: self.description,
            price: self.price.map(Into::into),
            category: self.category,
            image_url: self.image_url,
        }
    }
}

/// A change to stock on hand.
#[derive(Debug, Clone, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
pub struct AdjustStockInput {
    /// Units to add (positive) or remove (negative); not 0, at most 1,000,000 either way.
    #[schema(schema_with = stock_delta)]
    pub delta: i32,
    /// Why, for the stock ledger (up to 200 characters).
    #[schema(
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 200
    )]
    pub reason: String,
}

/// A field that may be absent but, when given, must not be null: a null
/// would read as "leave it" while the client meant to change it.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A price: Money with at least 1 minor unit (the document's currencies are
/// all the catalog's; see `rest::openapi`).
fn price_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let amount = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(100_000_000_000_i64));
    let currency = ObjectBuilder::new().schema_type(Type::String);
    ObjectBuilder::new()
        .property("amount_minor", amount)
        .property("currency", currency)
        .required("amount_minor")
        .required("currency")
        .additional_properties(Some(
            utoipa::openapi::schema::AdditionalProperties::<utoipa::openapi::Schema>::FreeForm(false),
        ))
        .build()
        .into()
}

/// A stock change: a whole number from -1,000,000 to 1,000,000, but not 0.
fn stock_delta() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    let range =
        |min: i32, max: i32| ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(min)).maximum(Some(max));
    Schema::OneOf(OneOfBuilder::new().item(range(-1_000_000, -1)).item(range(1, 1_000_000)).build())
}

/// Listing order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema, Enum)]
#[serde(rename_all = "snake_case")]
pub enum ProductSort {
    /// Newest first.
    #[default]
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
    /// By name, A to Z.
    NameAsc,
    /// By name, Z to A.
    NameDesc,
}

impl From<ProductSort> for pb::ProductSort {
    fn from(sort: ProductSort) -> Self {
        match sort {
            ProductSort::Newest => pb::ProductSort::Newest,
            ProductSort::PriceAsc => pb::ProductSort::PriceAsc,
            ProductSort::PriceDesc => pb::ProductSort::PriceDesc,
            ProductSort::NameAsc => pb::ProductSort::NameAsc,
            ProductSort::NameDesc => pb::ProductSort::NameDesc,
        }
    }
}

/// Which products a listing shows (always only active ones).
#[derive(Debug, Clone, Default, Deserialize, InputObject)]
pub struct ProductFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Only products with this text in their name or description (any case).
    pub query: Option<String>,
    /// Only products priced at least this, in minor units.
    pub min_price_minor: Option<i64>,
    /// Only products priced at most this, in minor units.
    pub max_price_minor: Option<i64>,
    /// Only products with available stock.
    #[graphql(default)]
    #[serde(default)]
    pub in_stock_only: bool,
}

/// The query string of `GET /api/v1/products`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProductsParams {
    /// Only this category.
    pub category: Option<String>,
    /// Only products with this text in their name or description (any case), up to 200 characters.
    #[param(max_length = 200)]
    pub query: Option<String>,
    /// Only products priced at least this, in minor units.
    #[param(minimum = 0)]
    pub min_price_minor: Option<i64>,
    /// Only products priced at most this, in minor units (below the minimum: nothing).
    #[param(minimum = 0)]
    pub max_price_minor: Option<i64>,
    /// Only products with available stock.
    pub in_stock_only: Option<bool>,
    /// Order: newest (default), price_asc, price_desc, name_asc, name_desc.
    pub sort: Option<ProductSort>,
    /// Products per page, 1 to 100; 0 or none: 20.
    #[param(minimum = 0, maximum = 100)]
    pub page_size: Option<i32>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

impl ListProductsParams {
    /// The listing request.
    pub fn into_request(self) -> pb::ListProductsRequest {
        let filter = ProductFilter {
            category: self.category,
            query: self.query,
            min_price_minor: self.min_price_minor,
            max_price_minor: self.max_price_minor,
            in_stock_only: self.in_stock_only.unwrap_or(false),
        };
        list_request(
            filter,
            self.sort.unwrap_or_default(),
            self.page_size.unwrap_or(0),
            self.page_token.unwrap_or_default(),
        )
    }
}

/// A listing request from its parts.
pub fn list_request(
    filter: ProductFilter,
    sort: ProductSort,
    page_size: i32,
    page_token: String,
) -> pb::ListProductsRequest {
    pb::ListProductsRequest {
        category: filter.category.unwrap_or_default(),
        query: filter.query.unwrap_or_default(),
        min_price_minor: filter.min_price_minor,
        max_price_minor: filter.max_price_minor,
        in_stock_only: filter.in_stock_only,
        sort: pb::ProductSort::from(sort).into(),
        page_size,
        page_token,
    }
}

/// One page of products.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductPage {
    /// The products.
    pub items: Vec<Product>,
    /// Pass as `page_token` for the next page; empty on the last page.
    pub next_page_token: String,
}
