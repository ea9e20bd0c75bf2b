//! Listing the catalog: filters, sorts, and keyset pages that neither repeat
//! nor skip a product while others are inserted between pages.

use std::collections::HashSet;

use integration_tests::{TestMesh, bearer, mesh_tests};
use serde_json::json;
use shop_proto::products::v1::{self as pb, ProductSort};

async fn walk(
    mesh: &TestMesh,
    sort: ProductSort,
    insert_between: Option<&integration_tests::Account>,
) -> Vec<pb::Product> {
    let mut seen = Vec::new();
    let mut page_token = String::new();
    for page_number in 0.. {
        let request = pb::ListProductsRequest { sort: sort.into(), page_size: 7, page_token, ..Default::default() };
        let page = mesh.products().list_products(request).await.unwrap().into_inner();
        assert!(page.products.len() <= 7);
        assert_eq!(page.cursors.len(), page.products.len());
        seen.extend(page.products);
        if let Some(admin) = insert_between {
            // Cheap, dear and mid-priced products, with names all over the alphabet.
            for (n, price) in [(0, 1), (1, 999_999), (2, 5_000)] {
                mesh.product(admin, &format!("LATE-{sort:?}-{page_number}-{n}"), price, 1).await;
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    seen
}

mesh_tests! {
    async fn pages_have_no_gaps_or_repeats_while_products_are_inserted(mesh) {
        let admin = mesh.admin().await;
        let mut originals = HashSet::new();
        for n in 0..40 {
            // Prices repeat on purpose: ties must be broken by id.
            let product = mesh.product(&admin, &format!("P{n:03}"), 1_000 * (n % 9) + 1, 5).await;
            originals.insert(product.id);
        }
        for sort in [ProductSort::Newest, ProductSort::PriceAsc, ProductSort::PriceDesc, ProductSort::NameAsc, ProductSort::NameDesc] {
            let seen = walk(&mesh, sort, Some(&admin)).await;
            let ids: Vec<_> = seen.iter().map(|p| p.id.clone()).collect();
            let unique: HashSet<_> = ids.iter().cloned().collect();
            assert_eq!(unique.len(), ids.len(), "{sort:?}: a product was listed twice");
            assert!(originals.is_subset(&unique), "{sort:?}: a product that existed from the start was skipped");
            let in_order = match sort {
                ProductSort::PriceAsc => seen.windows(2).all(|w| w[0].price.as_ref().unwrap().amount_minor <= w[1].price.as_ref().unwrap().amount_minor),
                ProductSort::PriceDesc => seen.windows(2).all(|w| w[0].price.as_ref().unwrap().amount_minor >= w[1].price.as_ref().unwrap().amount_minor),
                ProductSort::Newest => seen.windows(2).all(|w| w[0].id > w[1].id),
                _ => true,
            };
            assert!(in_order, "{sort:?}: out of order");
        }
    }

    async fn filters_combine(mesh) {
        let admin = mesh.admin().await;
        mesh.seed_demo_catalog().await;
        let list = |category: &str, query: &str, min: Option<i64>, max: Option<i64>, in_stock_only: bool| pb::ListProductsRequest {
            category: category.into(),
            query: query.into(),
            min_price_minor: min,
            max_price_minor: max,
            in_stock_only,
            page_size: 100,
            ..Default::default()
        };
        let names = |response: pb::ListProductsResponse| response.products.into_iter().map(|p| p.name).collect::<Vec<_>>();

        let gpus = names(mesh.products().list_products(list("GPUs", "", None, None, false)).await.unwrap().into_inner());
        assert_eq!(gpus.len(), 4);
        let gpus_in_stock = names(mesh.products().list_products(list("GPUs", "", None, None, true)).await.unwrap().into_inner());
        assert_eq!(gpus_in_stock.len(), 3, "the Arc A770 has no stock: {gpus_in_stock:?}");
        let ryzen = names(mesh.products().list_products(list("", "RYZEN", None, None, false)).await.unwrap().into_inner());
        assert_eq!(ryzen.len(), 2, "text matches any case: {ryzen:?}");
        let by_description = names(mesh.products().list_products(list("", "v-cache", None, None, false)).await.unwrap().into_inner());
        assert_eq!(by_description, ["Ryzen 7 7800X3D"]);
        let mid_range = mesh.products().list_products(list("", "", Some(10_000), Some(20_000), false)).await.unwrap().into_inner();
        assert!(mid_range.products.iter().all(|p| (10_000..=20_000).contains(&p.price.as_ref().unwrap().amount_minor)));
        assert!(!mid_range.products.is_empty());
        let wildcard = names(mesh.products().list_products(list("", "100%", None, None, false)).await.unwrap().into_inner());
        assert!(wildcard.is_empty(), "% is a character, not a wildcard: {wildcard:?}");

        let archived = mesh.product(&admin, "GONE", 100, 1).await;
        mesh.products().delete_product(bearer(pb::DeleteProductRequest { product_id: archived.id.clone() }, &admin.token)).await.unwrap();
        let all = mesh.products().list_products(list("", "", None, None, false)).await.unwrap().into_inner();
        assert!(all.products.iter().all(|p| p.id != archived.id), "archived products leave listings");
        let still = mesh.products().get_product(pb::GetProductRequest { product_id: archived.id }).await.unwrap().into_inner().product.unwrap();
        assert!(still.archived, "but still resolve by id");
    }

    async fn a_page_token_only_resumes_its_own_listing(mesh) {
        mesh.seed_demo_catalog().await;
        let first = mesh.http.get("/api/v1/products?category=CPUs&page_size=2", None).await;
        first.expect_status(200);
        let token = first.body["next_page_token"].as_str().unwrap().to_owned();
        let next = mesh.http.get(&format!("/api/v1/products?category=CPUs&page_size=2&page_token={token}"), None).await;
        next.expect_status(200);
        assert_eq!(next.body["items"].as_array().unwrap().len(), 2);
        assert_eq!(next.body["next_page_token"], "", "four CPUs, two pages");
        let other = mesh.http.get(&format!("/api/v1/products?category=GPUs&page_size=2&page_token={token}"), None).await;
        other.expect_status(400);
        assert_eq!(other.body["errors"][0]["field"], "page_token");
        let bad = mesh.http.get("/api/v1/products?page_size=many", None).await;
        bad.expect_status(400);
        assert_eq!(bad.body["errors"][0]["field"], "page_size");
        let big = mesh.http.get("/api/v1/products?page_size=1000", None).await;
        big.expect_status(400);
        assert_eq!(big.body["errors"][0]["field"], "page_size");
    }

    async fn the_demo_catalog_seeds_once(mesh) {
        assert_eq!(mesh.seed_demo_catalog().await, 24);
        assert_eq!(mesh.seed_demo_catalog().await, 0, "a catalog with products is left alone");
        let categories = mesh.http.get("/api/v1/categories", None).await;
        let counts: Vec<_> = categories.body["items"].as_array().unwrap().iter().map(|c| (c["name"].as_str().unwrap().to_owned(), c["product_count"].as_i64().unwrap())).collect();
        assert_eq!(counts.len(), 7, "{counts:?}");
        assert_eq!(counts.iter().map(|(_, n)| n).sum::<i64>(), 24);
        let gql = mesh.http.graphql("{ products(first: 3, sort: PRICE_DESC) { edges { node { name stock price { amountMinor currency } } } pageInfo { hasNextPage } } }", json!({}), None).await;
        assert_eq!(gql.body["data"]["products"]["edges"][0]["node"]["name"], "GeForce RTX 4090 24 GB");
        assert_eq!(gql.body["data"]["products"]["pageInfo"]["hasNextPage"], true);
    }
}
