import re

from playwright.sync_api import expect

from tests.e2e import PASSWORD, sign_in

BOOTSTRAP_PRIMARY = "rgb(13, 110, 253)"


def test_sign_in_page_renders_from_the_servers_own_static_files(page, live_server):
    # Anything not served by the live server is refused, as it would be on a machine offline.
    outside = []

    def only_local(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    with page.expect_response(re.compile(r"/static/vendor/bootstrap/bootstrap\.min\.css$")) as stylesheet:
        page.goto("/accounts/login/")

    assert stylesheet.value.status == 200
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_have_css("background-color", BOOTSTRAP_PRIMARY)
    assert outside == []


def test_sign_in_with_a_wrong_password_shows_an_error(page, clerk):
    sign_in(page, username=clerk.username, password="not the password")

    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    expect(page.get_by_test_id("navbar")).to_have_count(0)


def test_sign_in_lands_on_the_home_page_of_the_users_company(page, live_server, clerk, company):
    sign_in(page, username=clerk.username, password=PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(company.name)


def test_sign_out_from_the_user_menu(signed_in, live_server, clerk):
    signed_in.get_by_role("button", name=clerk.username).click()
    signed_in.get_by_role("button", name="Sign out").click()

    expect(signed_in).to_have_url(f"{live_server.url}/accounts/login/")
    expect(signed_in.get_by_test_id("navbar")).to_have_count(0)
    signed_in.goto("/")
    expect(signed_in).to_have_url(f"{live_server.url}/accounts/login/?next=/")
