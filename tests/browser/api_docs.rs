//! The API reference page renders in a real browser under the service's own
//! Content-Security-Policy: Swagger UI's files come from the binary, it reads
//! `/openapi.json`, and it lists the operations. A CSP that blocked its script, or a
//! description it could not read, leaves the list empty and fails the wait below.

use fantoccini::Locator;

use crate::driver::Browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_api_reference_page_lists_the_described_operations() {
    // Arrange
    let app = spawn_app().await;
    let browser = Browser::open(&app.address).await;

    // Act
    browser.goto("/api/docs/").await;
    browser
        .client
        .wait()
        .for_element(Locator::Css(".opblock-summary-path"))
        .await
        .expect("Swagger UI lists operations");

    // Assert
    let text = browser.text().await;
    for expected in [
        "mianshen API",
        "/api/v1/finance/batches",
        "/api/v1/grants/{id}/answer",
    ] {
        assert!(
            text.contains(expected),
            "the page does not show {expected:?}"
        );
    }
    browser.screenshot("api-docs").await;
    browser.close().await;
}
