"""A realistic demo retail data warehouse, generated as a SQLite file.

Newcomers point InsightEngine at this file and ask questions in plain language ("top 5 customers by sales last
quarter", "revenue by category in Germany", "return rate by product"). The data is synthetic but behaves like a
real multi-country retailer ("Meridian"): yearly growth, Nov/Dec peaks and a weekly rhythm, a Pareto-shaped
customer base, consistent money (order totals = lines + shipping, payments = totals) and consistent dates
(signup before the first order, products launched before they are sold, returns after delivery).

    from metadata.demo_warehouse import generate, DICTIONARY, DEFAULT_FILENAME
    counts = generate(Path("var") / DEFAULT_FILENAME)          # ~100k orders, a few seconds

`DICTIONARY` is the curated data dictionary (alias, description, tags, synonyms) for every table, view and column.
All money is in US dollars (the group's reporting currency).
"""
from __future__ import annotations

import bisect
import os
import random
import sqlite3
import tempfile
import unicodedata
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from pathlib import Path

__all__ = ["DEFAULT_FILENAME", "DICTIONARY", "generate"]

DEFAULT_FILENAME = "demo_retail.sqlite3"

BRAND = "Meridian"
COMPANY_DOMAIN = "meridian-retail.com"
N_CUSTOMERS = 5_000
MONTHS_BACK = 26

# --------------------------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------------------------

# name -> sales region, Faker locale, share of customers, free-mail domains, shipping fee, mobile phone format, cities
COUNTRIES: dict[str, dict] = {
    "United States": {
        "region": "Americas", "locale": "en_US", "weight": 30, "fee": 5.99,
        "domains": [("gmail.com", 40), ("yahoo.com", 15), ("outlook.com", 12), ("icloud.com", 14), ("hotmail.com", 8),
                    ("aol.com", 3)],
        "cities": [("New York", 14), ("Los Angeles", 10), ("Chicago", 8), ("Houston", 6), ("San Francisco", 5),
                   ("Seattle", 5), ("Boston", 5), ("Miami", 5), ("Austin", 4), ("Denver", 4), ("Philadelphia", 5),
                   ("Atlanta", 4), ("Phoenix", 4), ("Dallas", 5), ("Portland", 3)],
    },
    "Germany": {
        "region": "EMEA", "locale": "de_DE", "weight": 15, "fee": 4.95,
        "domains": [("gmail.com", 30), ("web.de", 22), ("gmx.de", 22), ("t-online.de", 12), ("outlook.de", 8)],
        "cities": [("Berlin", 14), ("Hamburg", 8), ("Munich", 9), ("Cologne", 6), ("Frankfurt", 5), ("Stuttgart", 4),
                   ("Düsseldorf", 4), ("Leipzig", 3), ("Dresden", 3), ("Hanover", 3), ("Nuremberg", 3), ("Bremen", 2)],
    },
    "United Kingdom": {
        "region": "EMEA", "locale": "en_GB", "weight": 14, "fee": 3.99,
        "domains": [("gmail.com", 35), ("hotmail.co.uk", 18), ("yahoo.co.uk", 12), ("btinternet.com", 10),
                    ("outlook.com", 12), ("icloud.com", 8)],
        "cities": [("London", 20), ("Manchester", 6), ("Birmingham", 6), ("Leeds", 4), ("Glasgow", 4), ("Edinburgh", 4),
                   ("Bristol", 4), ("Liverpool", 4), ("Sheffield", 3), ("Cardiff", 2), ("Newcastle upon Tyne", 3)],
    },
    "France": {
        "region": "EMEA", "locale": "fr_FR", "weight": 10, "fee": 4.90,
        "domains": [("gmail.com", 35), ("orange.fr", 20), ("free.fr", 15), ("laposte.net", 10), ("hotmail.fr", 12),
                    ("sfr.fr", 6)],
        "cities": [("Paris", 18), ("Lyon", 6), ("Marseille", 6), ("Toulouse", 4), ("Bordeaux", 4), ("Nice", 3),
                   ("Nantes", 3), ("Lille", 3), ("Strasbourg", 3)],
    },
    "Netherlands": {
        "region": "EMEA", "locale": "nl_NL", "weight": 7, "fee": 3.95,
        "domains": [("gmail.com", 40), ("ziggo.nl", 15), ("kpnmail.nl", 12), ("hotmail.nl", 15), ("outlook.com", 12)],
        "cities": [("Amsterdam", 12), ("Rotterdam", 8), ("The Hague", 6), ("Utrecht", 6), ("Eindhoven", 4),
                   ("Groningen", 3)],
    },
    "Spain": {
        "region": "EMEA", "locale": "es_ES", "weight": 8, "fee": 4.50,
        "domains": [("gmail.com", 45), ("hotmail.es", 20), ("yahoo.es", 12), ("outlook.es", 12), ("telefonica.net", 4)],
        "cities": [("Madrid", 14), ("Barcelona", 12), ("Valencia", 5), ("Seville", 4), ("Bilbao", 3), ("Málaga", 3),
                   ("Zaragoza", 3)],
    },
    "Italy": {
        "region": "EMEA", "locale": "it_IT", "weight": 8, "fee": 5.50,
        "domains": [("gmail.com", 40), ("libero.it", 18), ("virgilio.it", 10), ("hotmail.it", 14), ("yahoo.it", 10),
                    ("alice.it", 5)],
        "cities": [("Milan", 10), ("Rome", 12), ("Turin", 5), ("Naples", 5), ("Florence", 4), ("Bologna", 4),
                   ("Venice", 3)],
    },
    "Indonesia": {
        "region": "APAC", "locale": "id_ID", "weight": 8, "fee": 2.50,
        "domains": [("gmail.com", 60), ("yahoo.co.id", 20), ("ymail.com", 8), ("outlook.co.id", 6)],
        "cities": [("Jakarta", 18), ("Surabaya", 7), ("Bandung", 6), ("Medan", 4), ("Denpasar", 3), ("Yogyakarta", 3),
                   ("Semarang", 3)],
    },
}

# Stores: (country, city, location, store_type, opened N days before the data window starts; negative = during it)
STORES = [
    ("United States", "New York", "Fifth Avenue", "flagship", 4200),
    ("United States", "New York", "Brooklyn", "standard", 2100),
    ("United States", "Los Angeles", "Santa Monica", "standard", 3000),
    ("United States", "Chicago", "Magnificent Mile", "standard", 2800),
    ("United States", "Houston", "Galleria", "standard", 1900),
    ("United States", "San Francisco", "Union Square", "standard", 2500),
    ("United States", "Seattle", "Downtown", "express", 1500),
    ("United States", "Boston", "Back Bay", "standard", 1200),
    ("United States", "Miami", "Outlet", "outlet", 900),
    ("United States", "Austin", "The Domain", "standard", -300),
    ("Germany", "Berlin", "Alexanderplatz", "flagship", 3900),
    ("Germany", "Berlin", "Kurfürstendamm", "standard", 2600),
    ("Germany", "Munich", "Marienplatz", "standard", 3100),
    ("Germany", "Hamburg", "Mönckebergstraße", "standard", 2700),
    ("Germany", "Cologne", "Schildergasse", "standard", 2000),
    ("Germany", "Frankfurt", "Zeil", "express", 1100),
    ("Germany", "Stuttgart", "Outlet", "outlet", -150),
    ("United Kingdom", "London", "Oxford Street", "flagship", 4300),
    ("United Kingdom", "London", "Westfield Stratford", "standard", 1800),
    ("United Kingdom", "Manchester", "Arndale", "standard", 2400),
    ("United Kingdom", "Birmingham", "Bullring", "standard", 2200),
    ("United Kingdom", "Edinburgh", "Princes Street", "express", 1300),
    ("United Kingdom", "Bristol", "Cabot Circus", "standard", -500),
    ("France", "Paris", "Champs-Élysées", "flagship", 3600),
    ("France", "Paris", "La Défense", "standard", 1700),
    ("France", "Lyon", "Part-Dieu", "standard", 2300),
    ("France", "Marseille", "Vieux-Port", "express", 1000),
    ("France", "Bordeaux", "Outlet", "outlet", 800),
    ("Netherlands", "Amsterdam", "Kalverstraat", "flagship", 3000),
    ("Netherlands", "Rotterdam", "Lijnbaan", "standard", 1900),
    ("Netherlands", "Utrecht", "Hoog Catharijne", "express", 700),
    ("Spain", "Madrid", "Gran Vía", "flagship", 2900),
    ("Spain", "Barcelona", "Passeig de Gràcia", "standard", 2500),
    ("Spain", "Valencia", "Colón", "express", -650),
    ("Italy", "Milan", "Corso Vittorio Emanuele", "flagship", 2800),
    ("Italy", "Rome", "Via del Corso", "standard", 2100),
    ("Italy", "Turin", "Via Roma", "express", 1400),
    ("Indonesia", "Jakarta", "Grand Indonesia", "flagship", 1600),
    ("Indonesia", "Jakarta", "Pondok Indah", "standard", 900),
    ("Indonesia", "Surabaya", "Tunjungan Plaza", "standard", 600),
]

# Annual salary level of a country relative to the US (salaries are stored in USD).
SALARY_LEVEL = {"United States": 1.0, "United Kingdom": 0.85, "Germany": 0.9, "Netherlands": 0.9, "France": 0.85,
                "Italy": 0.75, "Spain": 0.7, "Indonesia": 0.22}
BASE_SALARY = {"Chief Executive Officer": 380_000, "Regional Director": 165_000, "Head of E-Commerce": 140_000,
               "Head of Customer Service": 95_000, "Customer Service Representative": 42_000, "Store Manager": 72_000,
               "Assistant Store Manager": 52_000, "Sales Associate": 34_000, "Cashier": 30_000,
               "Stock Associate": 31_000}

# Category tree: parent -> (SKU code, adjectives, [leaf (name, code, product count, popularity, return rate, brands,
# [(noun, min price, max price)])]).
CATEGORY_TREE = [
    ("Electronics", "ELE", ["Pro", "Max", "Lite", "Plus", "Ultra", "Air", "Mini", "Neo", "Edge", "S"], [
        ("Smartphones", "PHN", 20, 0.45, 0.05, ["Voltix", "Kairo", "Novaphone"],
         [("Smartphone", 149, 1199), ("Smartphone 5G", 249, 1299), ("Rugged Phone", 199, 599)]),
        ("Laptops", "LAP", 22, 0.3, 0.06, ["Voltix", "Lumenta", "Northwave"],
         [("14-inch Laptop", 499, 1899), ("16-inch Laptop", 699, 2499), ("13-inch Ultrabook", 799, 1999),
          ("Chromebook", 249, 599), ("Gaming Laptop", 999, 2799)]),
        ("Audio", "AUD", 28, 1.0, 0.07, ["Sonique", "Northwave", "Kairo"],
         [("Wireless Headphones", 59, 399), ("True Wireless Earbuds", 29, 249), ("Bluetooth Speaker", 29, 299),
          ("Soundbar", 149, 699), ("Turntable", 129, 499), ("Studio Headphones", 79, 349)]),
        ("Cameras", "CAM", 16, 0.25, 0.06, ["Lumenta", "Optiq"],
         [("Mirrorless Camera", 599, 2199), ("Action Camera", 149, 449), ("Prime Lens 35mm", 199, 899),
          ("Instant Camera", 69, 149), ("Camera Tripod", 39, 199)]),
        ("Computer Accessories", "ACC", 32, 2.0, 0.04, ["Voltix", "Northwave", "Ampere Labs"],
         [("Wireless Mouse", 12, 89), ("Mechanical Keyboard", 49, 199), ("USB-C Hub", 19, 99), ("HD Webcam", 29, 149),
          ("Monitor Stand", 19, 89), ("Laptop Sleeve", 15, 59), ("Power Bank 20000mAh", 19, 79),
          ("Charging Cable 2m", 7, 29), ("27-inch Monitor", 179, 599)]),
    ]),
    ("Apparel", "APP", ["Classic", "Slim-Fit", "Relaxed", "Organic Cotton", "Merino", "Linen", "Vintage", "Essential",
                        "Stretch", "Recycled"], [
        ("Men's Clothing", "MEN", 30, 1.2, 0.13, ["Halden & Co", "Urban Thread", "Nordkap"],
         [("Oxford Shirt", 29, 89), ("Chinos", 35, 99), ("Crew Neck T-Shirt", 12, 39), ("Wool Blazer", 129, 299),
          ("Denim Jacket", 59, 149), ("Hoodie", 35, 89), ("Polo Shirt", 25, 69), ("Jeans", 39, 129),
          ("Parka", 119, 349)]),
        ("Women's Clothing", "WOM", 34, 1.5, 0.16, ["Maison Verte", "Urban Thread", "Halden & Co"],
         [("Wrap Dress", 39, 149), ("Blouse", 29, 89), ("Midi Skirt", 29, 99), ("Cardigan", 35, 119),
          ("Trench Coat", 99, 299), ("Jeans", 39, 129), ("T-Shirt", 12, 39), ("Jumpsuit", 49, 139)]),
        ("Shoes", "SHO", 26, 1.0, 0.15, ["Stride", "Nordkap", "Maison Verte"],
         [("Running Shoes", 59, 189), ("Leather Sneakers", 69, 179), ("Chelsea Boots", 89, 229),
          ("Sandals", 25, 89), ("Loafers", 69, 169), ("Hiking Boots", 89, 229)]),
        ("Kids' Clothing", "KID", 22, 0.8, 0.08, ["Little Oak", "Urban Thread"],
         [("Kids' T-Shirt", 8, 25), ("Kids' Rain Jacket", 29, 79), ("Kids' Pyjamas", 14, 39),
          ("Kids' Jeans", 19, 49), ("Baby Bodysuit 3-Pack", 12, 35), ("Kids' Hoodie", 19, 49)]),
    ]),
    ("Home & Kitchen", "HOM", ["Nordic", "Classic", "Modern", "Rustic", "Premium", "Compact", "Artisan", "Oak",
                               "Minimalist", "Heritage"], [
        ("Cookware", "COO", 24, 0.9, 0.04, ["Hearthstone", "Copper & Ash", "Casa Linda"],
         [("Frying Pan 28cm", 19, 119), ("Saucepan Set", 49, 299), ("Cast Iron Dutch Oven", 49, 249),
          ("Chef's Knife", 25, 179), ("Cutting Board", 14, 69), ("Espresso Maker", 29, 149)]),
        ("Furniture", "FUR", 20, 0.3, 0.06, ["Fjordhus", "Casa Linda"],
         [("Armchair", 149, 899), ("Coffee Table", 79, 499), ("Bookshelf", 69, 399), ("Writing Desk", 99, 599),
          ("Dining Chair", 49, 249), ("Bed Frame", 199, 1299)]),
        ("Bedding", "BED", 22, 0.8, 0.05, ["Dreamweave", "Fjordhus"],
         [("Duvet Cover Set", 39, 149), ("Memory Foam Pillow", 25, 89), ("Cotton Sheet Set", 35, 159),
          ("Throw Blanket", 25, 99), ("Mattress Topper", 59, 249)]),
        ("Home Decor", "DEC", 26, 1.0, 0.05, ["Casa Linda", "Copper & Ash", "Fjordhus"],
         [("Ceramic Vase", 15, 79), ("Table Lamp", 29, 149), ("Wall Mirror", 39, 199), ("Scented Candle", 9, 39),
          ("Picture Frame Set", 15, 59), ("Wool Rug", 79, 399)]),
    ]),
    ("Sports & Outdoors", "SPO", ["Pro", "Trail", "Ultralight", "Performance", "Endurance", "Competition",
                                  "All-Weather", "Training"], [
        ("Fitness", "FIT", 24, 0.9, 0.05, ["PeakForm", "Summit Gear"],
         [("Yoga Mat", 15, 79), ("Adjustable Dumbbell Set", 79, 399), ("Resistance Bands", 9, 39),
          ("Kettlebell 12kg", 29, 79), ("Foam Roller", 12, 45), ("Jump Rope", 7, 29)]),
        ("Camping", "CMP", 22, 0.5, 0.06, ["Summit Gear", "TrailMark"],
         [("2-Person Tent", 89, 449), ("Sleeping Bag", 49, 299), ("Hiking Backpack 40L", 59, 229),
          ("Camping Stove", 29, 129), ("Headlamp", 15, 69), ("Water Filter", 25, 99)]),
        ("Cycling", "CYC", 20, 0.4, 0.05, ["Velocita", "TrailMark"],
         [("Road Bike", 699, 2499), ("Bike Helmet", 39, 199), ("Bike Lights Set", 19, 89),
          ("Cycling Jersey", 39, 119), ("Bike Lock", 19, 99), ("Saddle", 29, 149)]),
        ("Team Sports", "TEA", 20, 0.6, 0.04, ["Goalline", "PeakForm"],
         [("Football", 15, 149), ("Basketball", 19, 89), ("Shin Guards", 9, 39), ("Goalkeeper Gloves", 19, 99),
          ("Training Cones 20-Pack", 9, 25), ("Sports Bag", 25, 79)]),
    ]),
    ("Beauty & Health", "BEA", ["Hydrating", "Radiance", "Pure", "Botanical", "Intense", "Gentle", "Vitamin C",
                                "Night Repair", "Daily", "Sensitive"], [
        ("Skincare", "SKN", 30, 1.6, 0.02, ["Botanica", "Pure Skin Lab", "Aurelle"],
         [("Face Serum 30ml", 14, 89), ("Moisturizer 50ml", 12, 79), ("Foaming Cleanser", 7, 29),
          ("Sunscreen SPF 50", 9, 35), ("Eye Cream", 15, 69), ("Sheet Mask 5-Pack", 8, 25)]),
        ("Makeup", "MAK", 28, 1.3, 0.03, ["Aurelle", "Lumière"],
         [("Lipstick", 8, 39), ("Volume Mascara", 7, 32), ("Liquid Foundation", 12, 49), ("Eyeshadow Palette", 14, 59),
          ("Concealer", 8, 35), ("Powder Blush", 8, 35)]),
        ("Fragrances", "FRA", 20, 0.6, 0.02, ["Maison Aroma", "Lumière"],
         [("Eau de Parfum 50ml", 49, 159), ("Eau de Toilette 100ml", 35, 119), ("Body Mist", 12, 35),
          ("Cologne 75ml", 39, 129)]),
        ("Personal Care", "PER", 26, 1.4, 0.03, ["Aurelle", "Pure Skin Lab", "Ampere Labs"],
         [("Electric Toothbrush", 29, 199), ("Hair Dryer", 29, 299), ("Electric Shaver", 39, 249),
          ("Shampoo 400ml", 4, 19), ("Body Wash 500ml", 4, 15), ("Hair Straightener", 29, 149)]),
    ]),
    ("Toys & Games", "TOY", ["Deluxe", "Junior", "Classic", "Adventure", "Mega", "Mini", "Family", "Collector's"], [
        ("Board Games", "BGM", 22, 0.8, 0.03, ["Meeple House", "Gamecraft"],
         [("Strategy Board Game", 24, 69), ("Party Game", 14, 35), ("Jigsaw Puzzle 1000pc", 12, 29),
          ("Card Game", 9, 25), ("Wooden Chess Set", 25, 99)]),
        ("Building Sets", "BLD", 20, 0.7, 0.03, ["Brickwise"],
         [("Castle Building Set", 39, 199), ("Space Station Set", 49, 249), ("City Builder Set", 19, 129),
          ("Race Car Kit", 14, 79), ("Programmable Robot Kit", 59, 229)]),
        ("Dolls & Figures", "DOL", 18, 0.6, 0.04, ["Playnest", "Tiny Titans"],
         [("Fashion Doll", 14, 49), ("Action Figure", 9, 39), ("Plush Bear", 12, 45), ("Wooden Dollhouse", 59, 199),
          ("Collectible Figure", 19, 89)]),
        ("Video Games", "VID", 22, 0.8, 0.05, ["Gamecraft", "Voltix"],
         [("Video Game", 19, 69), ("Wireless Game Controller", 39, 79), ("Gaming Headset", 39, 199),
          ("Console Bundle", 299, 549)]),
    ]),
]

RETURN_REASONS = ["Wrong size", "Damaged in transit", "Defective", "Not as described", "Changed mind",
                  "Arrived too late", "Found a better price"]
RETURN_REASON_WEIGHTS = {
    "Apparel": [50, 6, 4, 14, 18, 4, 4],
    "Electronics": [0, 14, 38, 18, 18, 5, 7],
}
RETURN_REASON_DEFAULT = [2, 22, 18, 22, 24, 6, 6]

SEGMENTS = [("Consumer", 75, 1.0), ("Small Business", 15, 1.6), ("Corporate", 10, 2.6)]

# Seasonality (Jan..Dec), weekday pattern (Mon..Sun), hour-of-day curves.
MONTH_FACTOR = [0.86, 0.78, 0.88, 0.90, 0.94, 0.92, 0.90, 0.93, 0.95, 1.02, 1.45, 1.75]
WEEKDAY_FACTOR = [0.90, 0.87, 0.92, 0.97, 1.08, 1.26, 1.00]
YEARLY_GROWTH = 0.22
ONLINE_HOURS = [1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 5.5, 6.0, 5.5, 5.0, 5.0, 5.0, 5.5, 6.5, 7.5,
                8.0, 7.0, 5.0, 3.0]
STORE_HOURS = [0.0] * 9 + [3.0, 5.0, 6.0, 8.0, 8.0, 7.0, 7.0, 7.0, 8.0, 8.0, 6.0, 4.0] + [0.0] * 3

# --------------------------------------------------------------------------------------------------------------
# Data dictionary
# --------------------------------------------------------------------------------------------------------------


def _c(alias: str, description: str, tags: list[str] | None = None, synonyms: list[str] | None = None) -> dict:
    return {"alias": alias, "description": description, "tags": list(tags or []), "synonyms": list(synonyms or [])}


_PK = ["PK", "id"]
_FK = ["FK", "id"]
_MONEY = "Amount in US dollars (the reporting currency)."

DICTIONARY: dict[str, dict] = {
    "regions": {
        "alias": "Regions",
        "description": "Countries the company sells in, each assigned to a sales region (EMEA, Americas, APAC). "
                       "One row per country.",
        "synonyms": ["countries", "markets", "territories", "sales regions"],
        "columns": {
            "region_id": _c("Region ID", "Unique identifier of the region/country row.", _PK),
            "name": _c("Sales Region", "Sales region the country belongs to: 'EMEA', 'Americas' or 'APAC'.",
                       ["dimension", "category"], ["region", "sales region", "area"]),
            "country": _c("Country", "Country name in English, e.g. 'Germany', 'United States'.",
                          ["dimension", "category"], ["market", "nation"]),
        },
    },
    "customers": {
        "alias": "Customers",
        "description": "People and businesses who have registered an account and buy online, in the mobile app or "
                       "in stores. One row per customer account.",
        "synonyms": ["clients", "buyers", "shoppers", "accounts", "members"],
        "columns": {
            "customer_id": _c("Customer ID", "Unique identifier of the customer account.", _PK,
                              ["customer number", "client id"]),
            "first_name": _c("First Name", "Customer's given name.", ["PII"], ["given name", "forename"]),
            "last_name": _c("Last Name", "Customer's family name.", ["PII"], ["surname", "family name"]),
            "email": _c("Email", "Customer's e-mail address (unique per account).", ["PII"],
                        ["e-mail", "email address", "mail"]),
            "phone": _c("Phone", "Customer's mobile phone number in international format.", ["PII"],
                        ["phone number", "telephone", "mobile"]),
            "birth_date": _c("Birth Date", "Customer's date of birth (YYYY-MM-DD); use it to derive age.",
                             ["PII", "time"], ["date of birth", "dob", "birthday"]),
            "gender": _c("Gender", "Self-declared gender: 'F' (female), 'M' (male) or 'X' (other / not stated).",
                         ["PII", "dimension", "category"], ["sex"]),
            "street_address": _c("Street Address", "Street and house number of the customer's home address.",
                                 ["PII"], ["address", "street"]),
            "city": _c("City", "City of the customer's home address.", ["dimension"], ["town", "customer city"]),
            "postal_code": _c("Postal Code", "Postal / ZIP code of the customer's home address.", ["PII"],
                              ["zip", "zip code", "postcode"]),
            "country": _c("Country", "Country of the customer's home address (same as regions.country).",
                          ["dimension", "category"], ["customer country", "market"]),
            "region_id": _c("Region ID", "Region/country of the customer; references regions.region_id.", _FK),
            "segment": _c("Customer Segment", "Customer segment: 'Consumer', 'Small Business' or 'Corporate'.",
                          ["dimension", "category"], ["customer type", "segment", "tier"]),
            "signup_date": _c("Signup Date", "Date the customer created the account (YYYY-MM-DD); always before "
                                             "the first order.", ["time"],
                              ["registration date", "join date", "customer since"]),
            "is_active": _c("Is Active", "1 if the account is active, 0 if the customer churned / closed it.",
                            ["dimension", "category"], ["active", "active flag"]),
        },
    },
    "stores": {
        "alias": "Stores",
        "description": "Physical Meridian retail stores. Online and mobile-app orders have no store.",
        "synonyms": ["shops", "branches", "outlets", "locations", "points of sale"],
        "columns": {
            "store_id": _c("Store ID", "Unique identifier of the store.", _PK, ["shop id", "branch id"]),
            "name": _c("Store Name", "Store name, e.g. 'Meridian Berlin Alexanderplatz'.", ["dimension"],
                       ["store", "shop name", "branch"]),
            "city": _c("City", "City the store is located in.", ["dimension"], ["store city", "location"]),
            "country": _c("Country", "Country the store is located in.", ["dimension", "category"],
                          ["store country"]),
            "region_id": _c("Region ID", "Region/country of the store; references regions.region_id.", _FK),
            "store_type": _c("Store Type", "Format of the store: 'flagship', 'standard', 'express' or 'outlet'.",
                             ["dimension", "category"], ["format", "store format"]),
            "opened_on": _c("Opened On", "Date the store opened (YYYY-MM-DD); it has no sales before.", ["time"],
                            ["opening date", "open date"]),
        },
    },
    "employees": {
        "alias": "Employees",
        "description": "Staff of the stores and of headquarters, with their reporting line. Store staff have a "
                       "store_id; headquarters staff (executives, e-commerce, customer service) have none.",
        "synonyms": ["staff", "workers", "sales reps", "salespeople", "personnel", "team members"],
        "columns": {
            "employee_id": _c("Employee ID", "Unique identifier of the employee.", _PK, ["staff id"]),
            "first_name": _c("First Name", "Employee's given name.", ["PII"], ["given name"]),
            "last_name": _c("Last Name", "Employee's family name.", ["PII"], ["surname"]),
            "email": _c("Work Email", "Employee's work e-mail address.", ["PII"], ["e-mail", "email address"]),
            "store_id": _c("Store ID", "Store the employee works in; NULL for headquarters staff. References "
                                       "stores.store_id.", _FK),
            "job_title": _c("Job Title", "Role, e.g. 'Store Manager', 'Sales Associate', 'Cashier', "
                                         "'Regional Director'.", ["dimension", "category"], ["role", "position"]),
            "hire_date": _c("Hire Date", "Date the employee joined (YYYY-MM-DD).", ["time"],
                            ["start date", "joined on"]),
            "salary": _c("Annual Salary", "Gross annual salary in US dollars. Confidential.", ["PII", "metric"],
                         ["pay", "compensation", "wage"]),
            "manager_id": _c("Manager ID", "The employee's manager (employees.employee_id); NULL for the CEO.", _FK,
                             ["reports to", "supervisor"]),
        },
    },
    "categories": {
        "alias": "Product Categories",
        "description": "Two-level product category tree: 6 top-level departments (parent_category_id NULL), "
                       "each with sub-categories. Products belong to sub-categories.",
        "synonyms": ["product categories", "departments", "product groups", "product lines"],
        "columns": {
            "category_id": _c("Category ID", "Unique identifier of the category.", _PK),
            "name": _c("Category Name", "Category name, e.g. 'Electronics' (department) or 'Audio' (sub-category).",
                       ["dimension", "category"], ["category", "department", "product category"]),
            "parent_category_id": _c("Parent Category ID", "The department this sub-category belongs to "
                                                           "(categories.category_id); NULL for departments.", _FK,
                                     ["department id", "parent"]),
        },
    },
    "products": {
        "alias": "Products",
        "description": "Product catalogue: every item Meridian sells, with its current list price and unit cost.",
        "synonyms": ["items", "articles", "merchandise", "catalog", "SKUs", "goods"],
        "columns": {
            "product_id": _c("Product ID", "Unique identifier of the product.", _PK, ["item id"]),
            "sku": _c("SKU", "Stock keeping unit code: department-subcategory-number, e.g. 'ELE-AUD-00042'.",
                      ["id"], ["article number", "item code", "product code"]),
            "name": _c("Product Name", "Product name including brand, e.g. 'Sonique Pro Wireless Headphones'.",
                       ["dimension"], ["product", "item name", "article"]),
            "category_id": _c("Category ID", "Sub-category of the product; references categories.category_id.",
                              _FK),
            "brand": _c("Brand", "Brand (manufacturer label) of the product.", ["dimension", "category"],
                        ["manufacturer", "label", "make"]),
            "unit_price": _c("List Price", "Current selling price per unit. " + _MONEY, ["metric"],
                             ["price", "retail price", "msrp"]),
            "unit_cost": _c("Unit Cost", "Purchase cost per unit (always below the list price). " + _MONEY,
                            ["metric"], ["cost", "cogs", "purchase price"]),
            "launched_on": _c("Launch Date", "Date the product was launched (YYYY-MM-DD); never sold before.",
                              ["time"], ["release date", "introduced on"]),
            "is_active": _c("Is Active", "1 if the product is still sold, 0 if discontinued.",
                            ["dimension", "category"], ["active", "available", "discontinued"]),
        },
    },
    "orders": {
        "alias": "Orders",
        "description": "Customer orders (sales transactions) from the web shop, the mobile app and the stores. "
                       "total_amount = sum of the order lines after discount + shipping_cost. For revenue, exclude "
                       "status 'cancelled'.",
        "synonyms": ["sales", "purchases", "transactions", "sales orders", "baskets"],
        "columns": {
            "order_id": _c("Order ID", "Unique identifier of the order (increasing with order time).", _PK,
                           ["order number", "transaction id"]),
            "customer_id": _c("Customer ID", "Customer who placed the order; references customers.customer_id.",
                              _FK),
            "store_id": _c("Store ID", "Store of an in-store purchase; NULL for online and mobile orders. "
                                       "References stores.store_id.", _FK),
            "employee_id": _c("Employee ID", "Sales associate who served an in-store purchase; NULL for online and "
                                             "mobile orders. References employees.employee_id.", _FK,
                              ["sales rep", "salesperson", "cashier"]),
            "order_date": _c("Order Date", "Date and time the order was placed, 'YYYY-MM-DD HH:MM:SS' (local time).",
                             ["time"], ["order time", "purchase date", "sale date", "date"]),
            "status": _c("Order Status", "'completed' (delivered / handed over), 'shipped', 'pending', 'cancelled' or "
                                         "'returned' (every item was returned).", ["dimension", "category"],
                         ["state", "order state"]),
            "channel": _c("Sales Channel", "'online' (web shop), 'mobile' (app) or 'in_store'.",
                          ["dimension", "category"], ["channel", "source", "sales channel"]),
            "shipping_cost": _c("Shipping Cost", "Delivery fee charged to the customer (0 for in-store purchases and "
                                                 "free-shipping orders). " + _MONEY, ["metric"],
                                ["delivery fee", "shipping fee", "freight"]),
            "total_amount": _c("Order Total", "Amount charged for the order: lines after discount plus shipping. "
                                              + _MONEY, ["metric"],
                               ["revenue", "sales", "order value", "amount", "turnover", "total"]),
        },
    },
    "order_items": {
        "alias": "Order Items",
        "description": "Lines of an order: which product, how many, at what price and discount. Line revenue = "
                       "quantity * unit_price * (1 - discount).",
        "synonyms": ["order lines", "line items", "basket items", "sales lines"],
        "columns": {
            "order_item_id": _c("Order Item ID", "Unique identifier of the order line.", _PK, ["line id"]),
            "order_id": _c("Order ID", "Order the line belongs to; references orders.order_id.", _FK),
            "product_id": _c("Product ID", "Product sold; references products.product_id.", _FK),
            "quantity": _c("Quantity", "Number of units sold on this line.", ["metric"],
                           ["units", "qty", "units sold", "count"]),
            "unit_price": _c("Unit Price", "Price per unit before discount at the time of sale. " + _MONEY,
                             ["metric"], ["price", "selling price"]),
            "discount": _c("Discount", "Discount rate applied to the line, as a fraction (0.15 = 15 % off).",
                           ["metric"], ["discount rate", "markdown", "promotion"]),
        },
    },
    "payments": {
        "alias": "Payments",
        "description": "Payments collected for orders. Usually one per order; some orders are split between a gift "
                       "card and another method. Cancelled orders have no payment.",
        "synonyms": ["transactions", "charges", "receipts", "settlements"],
        "columns": {
            "payment_id": _c("Payment ID", "Unique identifier of the payment.", _PK),
            "order_id": _c("Order ID", "Order paid; references orders.order_id.", _FK),
            "method": _c("Payment Method", "'credit_card', 'paypal', 'bank_transfer', 'cash' or 'gift_card'.",
                         ["dimension", "category"], ["payment type", "tender", "payment method"]),
            "amount": _c("Payment Amount", "Amount paid. " + _MONEY, ["metric"], ["paid amount", "amount paid"]),
            "paid_at": _c("Paid At", "Date and time the payment settled, 'YYYY-MM-DD HH:MM:SS'; NULL while "
                                     "pending.", ["time"], ["payment date", "settlement date"]),
            "status": _c("Payment Status", "'completed', 'pending' (not yet settled) or 'refunded' (order fully "
                                           "returned).", ["dimension", "category"], ["payment state"]),
            "card_last4": _c("Card Last 4", "Last four digits of the credit card; NULL for other methods.",
                             ["PII"], ["card number", "last four digits"]),
        },
    },
    "returns": {
        "alias": "Returns",
        "description": "Order lines sent back by customers and refunded. At most one return per order line. "
                       "Return rate = returned lines / sold lines.",
        "synonyms": ["refunds", "product returns", "RMAs", "returned items"],
        "columns": {
            "return_id": _c("Return ID", "Unique identifier of the return.", _PK, ["rma number"]),
            "order_item_id": _c("Order Item ID", "Order line returned; references order_items.order_item_id.", _FK),
            "returned_at": _c("Returned At", "Date and time the return was received, 'YYYY-MM-DD HH:MM:SS'.",
                              ["time"], ["return date"]),
            "reason": _c("Return Reason", "Why the customer returned it, e.g. 'Wrong size', 'Defective', "
                                          "'Changed mind'.", ["dimension", "category"], ["cause", "return reason"]),
            "refund_amount": _c("Refund Amount", "Amount refunded to the customer (the line value, less a "
                                                 "deduction for used or damaged goods). " + _MONEY, ["metric"],
                                ["refund", "refunded amount"]),
        },
    },
    "v_monthly_sales": {
        "alias": "Monthly Sales",
        "description": "View: sales per calendar month over all non-cancelled orders (gross, before returns).",
        "synonyms": ["monthly revenue", "sales by month", "monthly summary"],
        "columns": {
            "month": _c("Month", "Calendar month, 'YYYY-MM'.", ["time"], ["period", "year-month"]),
            "order_count": _c("Orders", "Number of non-cancelled orders placed in the month.", ["metric"],
                              ["number of orders", "order volume"]),
            "customer_count": _c("Customers", "Number of distinct customers who ordered in the month.", ["metric"],
                                 ["buyers", "active customers"]),
            "net_sales": _c("Net Sales", "Order lines after discount, excluding shipping. " + _MONEY, ["metric"],
                            ["merchandise sales", "product revenue"]),
            "shipping_revenue": _c("Shipping Revenue", "Shipping fees charged. " + _MONEY, ["metric"],
                                   ["shipping"]),
            "total_revenue": _c("Total Revenue", "Net sales plus shipping (sum of order totals). " + _MONEY,
                                ["metric"], ["revenue", "sales", "turnover", "gmv"]),
            "avg_order_value": _c("Average Order Value", "Average order total. " + _MONEY, ["metric"],
                                  ["aov", "basket size", "average basket"]),
        },
    },
    "v_order_lines": {
        "alias": "Order Lines (enriched)",
        "description": "View: one row per order line joined with its order, customer country/region, product, "
                       "category and return flag. Convenient for revenue, margin and return-rate questions; "
                       "includes cancelled orders (filter on order_status).",
        "synonyms": ["sales lines", "order line details", "sales fact"],
        "columns": {
            "order_item_id": _c("Order Item ID", "Order line (order_items.order_item_id).", ["id"]),
            "order_id": _c("Order ID", "Order (orders.order_id).", ["id"]),
            "order_date": _c("Order Date", "Date and time of the order, 'YYYY-MM-DD HH:MM:SS'.", ["time"],
                             ["date", "sale date"]),
            "order_month": _c("Order Month", "Month of the order, 'YYYY-MM'.", ["time"], ["month"]),
            "order_status": _c("Order Status", "Status of the order (see orders.status).", ["dimension", "category"],
                               ["status"]),
            "channel": _c("Sales Channel", "'online', 'mobile' or 'in_store'.", ["dimension", "category"]),
            "customer_id": _c("Customer ID", "Customer (customers.customer_id).", ["id"]),
            "customer_country": _c("Customer Country", "Country of the customer.", ["dimension", "category"],
                                   ["country"]),
            "region_name": _c("Sales Region", "Sales region of the customer: EMEA, Americas or APAC.",
                              ["dimension", "category"], ["region"]),
            "store_id": _c("Store ID", "Store of an in-store purchase (stores.store_id); NULL online.", ["id"]),
            "product_id": _c("Product ID", "Product (products.product_id).", ["id"]),
            "product_name": _c("Product Name", "Name of the product.", ["dimension"], ["product"]),
            "brand": _c("Brand", "Brand of the product.", ["dimension", "category"]),
            "category_name": _c("Sub-category", "Sub-category of the product, e.g. 'Audio'.",
                                ["dimension", "category"], ["subcategory"]),
            "parent_category_name": _c("Category", "Top-level category (department) of the product, e.g. "
                                                   "'Electronics'.", ["dimension", "category"],
                                       ["department", "category"]),
            "quantity": _c("Quantity", "Units sold.", ["metric"], ["units"]),
            "unit_price": _c("Unit Price", "Price per unit before discount. " + _MONEY, ["metric"]),
            "discount": _c("Discount", "Discount rate as a fraction.", ["metric"]),
            "line_amount": _c("Line Revenue", "quantity * unit_price * (1 - discount). " + _MONEY, ["metric"],
                              ["revenue", "sales", "line total"]),
            "line_cost": _c("Line Cost", "quantity * product unit cost. " + _MONEY, ["metric"], ["cost", "cogs"]),
            "is_returned": _c("Is Returned", "1 if the line was returned, else 0.", ["dimension", "category"],
                              ["returned"]),
        },
    },
}

# --------------------------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE regions (
    region_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL UNIQUE
);
CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    phone TEXT,
    birth_date DATE,
    gender TEXT CHECK (gender IN ('F', 'M', 'X')),
    street_address TEXT,
    city TEXT NOT NULL,
    postal_code TEXT,
    country TEXT NOT NULL,
    region_id INTEGER NOT NULL,
    segment TEXT NOT NULL CHECK (segment IN ('Consumer', 'Corporate', 'Small Business')),
    signup_date DATE NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    FOREIGN KEY (region_id) REFERENCES regions (region_id)
);
CREATE TABLE stores (
    store_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    city TEXT NOT NULL,
    country TEXT NOT NULL,
    region_id INTEGER NOT NULL,
    store_type TEXT NOT NULL CHECK (store_type IN ('flagship', 'standard', 'express', 'outlet')),
    opened_on DATE NOT NULL,
    FOREIGN KEY (region_id) REFERENCES regions (region_id)
);
CREATE TABLE employees (
    employee_id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    store_id INTEGER,
    job_title TEXT NOT NULL,
    hire_date DATE NOT NULL,
    salary REAL NOT NULL,
    manager_id INTEGER,
    FOREIGN KEY (store_id) REFERENCES stores (store_id),
    FOREIGN KEY (manager_id) REFERENCES employees (employee_id)
);
CREATE TABLE categories (
    category_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    parent_category_id INTEGER,
    FOREIGN KEY (parent_category_id) REFERENCES categories (category_id)
);
CREATE TABLE products (
    product_id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category_id INTEGER NOT NULL,
    brand TEXT NOT NULL,
    unit_price REAL NOT NULL CHECK (unit_price > 0),
    unit_cost REAL NOT NULL CHECK (unit_cost > 0),
    launched_on DATE NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    FOREIGN KEY (category_id) REFERENCES categories (category_id)
);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    store_id INTEGER,
    employee_id INTEGER,
    order_date TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('completed', 'shipped', 'cancelled', 'pending', 'returned')),
    channel TEXT NOT NULL CHECK (channel IN ('online', 'in_store', 'mobile')),
    shipping_cost REAL NOT NULL DEFAULT 0,
    total_amount REAL NOT NULL,
    FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    FOREIGN KEY (store_id) REFERENCES stores (store_id),
    FOREIGN KEY (employee_id) REFERENCES employees (employee_id)
);
CREATE TABLE order_items (
    order_item_id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price REAL NOT NULL,
    discount REAL NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount < 1),
    FOREIGN KEY (order_id) REFERENCES orders (order_id),
    FOREIGN KEY (product_id) REFERENCES products (product_id)
);
CREATE TABLE payments (
    payment_id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('credit_card', 'paypal', 'bank_transfer', 'cash', 'gift_card')),
    amount REAL NOT NULL,
    paid_at TIMESTAMP,
    status TEXT NOT NULL CHECK (status IN ('completed', 'pending', 'refunded')),
    card_last4 TEXT,
    FOREIGN KEY (order_id) REFERENCES orders (order_id)
);
CREATE TABLE returns (
    return_id INTEGER PRIMARY KEY,
    order_item_id INTEGER NOT NULL UNIQUE,
    returned_at TIMESTAMP NOT NULL,
    reason TEXT NOT NULL,
    refund_amount REAL NOT NULL,
    FOREIGN KEY (order_item_id) REFERENCES order_items (order_item_id)
);
"""

INDEXES = """
CREATE INDEX idx_customers_region ON customers (region_id);
CREATE INDEX idx_products_category ON products (category_id);
CREATE INDEX idx_orders_order_date ON orders (order_date);
CREATE INDEX idx_orders_customer ON orders (customer_id);
CREATE INDEX idx_orders_store ON orders (store_id);
CREATE INDEX idx_order_items_order ON order_items (order_id);
CREATE INDEX idx_order_items_product ON order_items (product_id);
CREATE INDEX idx_payments_order ON payments (order_id);
CREATE INDEX idx_employees_store ON employees (store_id);
"""

VIEWS = """
CREATE VIEW v_monthly_sales AS
SELECT strftime('%Y-%m', o.order_date) AS month,
       COUNT(*) AS order_count,
       COUNT(DISTINCT o.customer_id) AS customer_count,
       ROUND(SUM(o.total_amount - o.shipping_cost), 2) AS net_sales,
       ROUND(SUM(o.shipping_cost), 2) AS shipping_revenue,
       ROUND(SUM(o.total_amount), 2) AS total_revenue,
       ROUND(AVG(o.total_amount), 2) AS avg_order_value
FROM orders AS o
WHERE o.status <> 'cancelled'
GROUP BY strftime('%Y-%m', o.order_date);

CREATE VIEW v_order_lines AS
SELECT oi.order_item_id,
       oi.order_id,
       o.order_date,
       strftime('%Y-%m', o.order_date) AS order_month,
       o.status AS order_status,
       o.channel,
       o.customer_id,
       c.country AS customer_country,
       r.name AS region_name,
       o.store_id,
       oi.product_id,
       p.name AS product_name,
       p.brand,
       cat.name AS category_name,
       parent.name AS parent_category_name,
       oi.quantity,
       oi.unit_price,
       oi.discount,
       ROUND(oi.quantity * oi.unit_price * (1 - oi.discount), 2) AS line_amount,
       ROUND(oi.quantity * p.unit_cost, 2) AS line_cost,
       CASE WHEN rt.return_id IS NULL THEN 0 ELSE 1 END AS is_returned
FROM order_items AS oi
JOIN orders AS o ON o.order_id = oi.order_id
JOIN customers AS c ON c.customer_id = o.customer_id
JOIN regions AS r ON r.region_id = c.region_id
JOIN products AS p ON p.product_id = oi.product_id
JOIN categories AS cat ON cat.category_id = p.category_id
LEFT JOIN categories AS parent ON parent.category_id = cat.parent_category_id
LEFT JOIN returns AS rt ON rt.order_item_id = oi.order_item_id;
"""

TABLES = ["regions", "customers", "stores", "employees", "categories", "products", "orders", "order_items",
          "payments", "returns"]

# --------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------

_ASCII_FIX = str.maketrans({"ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l",
                            "Ł": "l", "đ": "d", "ı": "i"})


def _slug(text: str) -> str:
    """Lower-case ASCII letters only ('Müller-Lüdenscheidt' -> 'muellerluedenscheidt' style, accents dropped)."""
    text = unicodedata.normalize("NFKD", text.translate(_ASCII_FIX))
    return "".join(ch for ch in text.lower() if "a" <= ch <= "z")


def _window_start(end: date) -> date:
    """First day of the month MONTHS_BACK months before end's month."""
    months = end.year * 12 + (end.month - 1) - MONTHS_BACK
    return date(months // 12, months % 12 + 1, 1)


def _black_friday(year: int) -> date:
    nov1 = date(year, 11, 1)
    first_thursday = nov1 + timedelta(days=(3 - nov1.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10 ** n)).zfill(n)


def _phone(rng: random.Random, country: str) -> str:
    d = lambda n: _digits(rng, n)  # noqa: E731
    if country == "United States":
        return f"+1 ({rng.randint(201, 989)}) {rng.randint(200, 999)}-{d(4)}"
    if country == "Germany":
        return f"+49 1{rng.choice(['51', '52', '57', '60', '62', '70', '71', '72', '73', '76'])} {d(8)}"
    if country == "United Kingdom":
        return f"+44 7{rng.randint(400, 999)} {d(6)}"
    if country == "France":
        return f"+33 {rng.choice('67')} {d(2)} {d(2)} {d(2)} {d(2)}"
    if country == "Netherlands":
        return f"+31 6 {d(8)}"
    if country == "Spain":
        return f"+34 6{d(2)} {d(3)} {d(3)}"
    if country == "Italy":
        return f"+39 3{rng.randint(20, 93)} {d(3)} {d(4)}"
    return f"+62 8{rng.choice(['11', '12', '13', '21', '22', '52', '57', '77', '78'])}-{d(4)}-{d(4)}"


def _pick_weighted(rng: random.Random, items: list, weights: list) -> object:
    return rng.choices(items, weights=weights, k=1)[0]


def _money(x: float) -> float:
    return round(x + 1e-9, 2)


def _price(rng: random.Random, lo: float, hi: float) -> float:
    """A log-uniform list price with a retail ending (x.99 / x9.99 / x.49)."""
    raw = lo * (hi / lo) ** rng.random()
    if raw < 20:
        return round(max(int(raw), 1) + rng.choice([0.49, 0.99, 0.99]), 2)
    if raw < 200:
        return int(raw) + 0.99
    return (int(raw) // 10) * 10 + 9.99


# --------------------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------------------


def generate(path: Path, *, seed: int = 7, orders: int = 100_000, end_date: date | None = None) -> dict[str, int]:
    """Create (overwriting atomically: write to a temp file in the same dir, then os.replace) a SQLite retail
    warehouse at `path`; returns {table_name: row_count}. Deterministic for the same (seed, orders, end_date).
    end_date defaults to date.today(); the orders span the 26 full months before end_date up to end_date."""
    if orders < 0:
        raise ValueError("orders must be >= 0")
    path = Path(path)
    end = end_date or date.today()
    data = _build(seed=seed, orders=orders, end=end)

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp_name, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("BEGIN")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            for table in TABLES:
                rows = data[table]
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            for statement in (INDEXES + VIEWS).split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
            counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
        finally:
            conn.close()
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; the file is meant to be shared
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
    return counts


def _build(*, seed: int, orders: int, end: date) -> dict[str, list[tuple]]:
    from faker import Faker

    rng = random.Random(seed)
    start = _window_start(end)
    start_ord, end_ord = start.toordinal(), end.toordinal()
    span_days = end_ord - start_ord + 1
    end_dt = datetime.combine(end, time(23, 59, 59))

    # ---- regions ----------------------------------------------------------------------------------------------
    country_names = list(COUNTRIES)
    region_id = {name: i + 1 for i, name in enumerate(country_names)}
    regions = [(region_id[name], COUNTRIES[name]["region"], name) for name in country_names]

    fakers = {}
    for i, name in enumerate(country_names):
        fake = Faker(COUNTRIES[name]["locale"])
        fake.seed_instance(seed * 7919 + i)
        fakers[name] = fake

    # ---- stores -----------------------------------------------------------------------------------------------
    stores = []
    store_info = []  # (country, city, opened ordinal)
    for sid, (country, city, location, store_type, days_before) in enumerate(STORES, start=1):
        opened = date.fromordinal(start_ord - days_before)
        if opened > end:
            opened = end
        stores.append((sid, f"{BRAND} {city} {location}", city, country, region_id[country], store_type,
                       opened.isoformat()))
        store_info.append((country, city, opened.toordinal()))
    flagship = {}
    store_by_city = {}
    for sid, (country, city, _opened) in enumerate(store_info, start=1):
        if STORES[sid - 1][3] == "flagship":
            flagship[country] = sid
        store_by_city.setdefault((country, city), []).append(sid)

    # ---- employees --------------------------------------------------------------------------------------------
    employees: list[tuple] = []
    used_work_emails: set[str] = set()

    def add_employee(country: str, store_id: int | None, title: str, hired: date, manager: int | None) -> int:
        fake = fakers[country]
        female = rng.random() < 0.5
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        base = f"{_slug(first)}.{_slug(last)}" or "staff"
        email, n = f"{base}@{COMPANY_DOMAIN}", 1
        while email in used_work_emails:
            n += 1
            email = f"{base}{n}@{COMPANY_DOMAIN}"
        used_work_emails.add(email)
        level = SALARY_LEVEL[country] if store_id or title == "Customer Service Representative" else \
            max(SALARY_LEVEL[country], 0.8)  # executives are paid on an international scale
        salary = BASE_SALARY[title] * level * rng.uniform(0.88, 1.18)
        eid = len(employees) + 1
        employees.append((eid, first, last, email, store_id, title, hired.isoformat(), float(round(salary, -2)),
                          manager))
        return eid

    def hired_between(lo_ord: int, hi_ord: int) -> date:
        return date.fromordinal(rng.randint(lo_ord, max(lo_ord, hi_ord)))

    ceo = add_employee("United States", None, "Chief Executive Officer", date.fromordinal(start_ord - 3300), None)
    directors = {}
    for region, country in (("Americas", "United States"), ("EMEA", "Germany"), ("APAC", "Indonesia")):
        directors[region] = add_employee(country, None, "Regional Director",
                                         hired_between(start_ord - 3000, start_ord - 400), ceo)
    head_ecom = add_employee("United Kingdom", None, "Head of E-Commerce",
                             hired_between(start_ord - 2500, start_ord - 300), ceo)
    head_cs = add_employee("Netherlands", None, "Head of Customer Service",
                           hired_between(start_ord - 2200, start_ord - 200), head_ecom)
    for _ in range(14):
        country = _pick_weighted(rng, ["United States", "United Kingdom", "Germany", "Netherlands", "Indonesia"],
                                 [4, 3, 3, 3, 2])
        add_employee(country, None, "Customer Service Representative",
                     hired_between(start_ord - 1500, end_ord - 20), head_cs)

    store_sellers: list[list[tuple[int, int]]] = [[] for _ in STORES]  # per store: (hire ordinal, employee_id)
    for sid, (country, _city, opened_ord) in enumerate(store_info, start=1):
        region = COUNTRIES[country]["region"]
        manager_hired = date.fromordinal(max(opened_ord - rng.randint(30, 150),
                                             opened_ord - 60 if opened_ord > start_ord else opened_ord - 150))
        manager = add_employee(country, sid, "Store Manager", manager_hired, directors[region])
        store_sellers[sid - 1].append((manager_hired.toordinal(), manager))
        staff = [("Assistant Store Manager", 1)]
        staff += [("Sales Associate", rng.randint(2, 5)), ("Cashier", rng.randint(1, 2)),
                  ("Stock Associate", int(rng.random() < 0.3))]
        for title, count in staff:
            for _ in range(count):
                if title == "Assistant Store Manager" or rng.random() < 0.35:
                    hired = hired_between(opened_ord - 30, opened_ord)
                else:
                    hired = hired_between(opened_ord, end_ord - 30)
                eid = add_employee(country, sid, title, hired, manager)
                if title in ("Sales Associate", "Cashier", "Assistant Store Manager"):
                    store_sellers[sid - 1].append((hired.toordinal(), eid))
    for sellers in store_sellers:
        sellers.sort()
    seller_hired = [[h for h, _ in s] for s in store_sellers]
    seller_ids = [[e for _, e in s] for s in store_sellers]

    # ---- categories & products --------------------------------------------------------------------------------
    categories: list[tuple] = []
    leaves = []  # (category_id, parent name, spec)
    for parent_name, parent_code, adjectives, children in CATEGORY_TREE:
        parent_id = len(categories) + 1
        categories.append((parent_id, parent_name, None))
        for child in children:
            cid = len(categories) + 1
            categories.append((cid, child[0], parent_id))
            leaves.append((cid, parent_name, parent_code, adjectives, child))

    raw_products = []  # (launch ordinal, sku, name, category_id, brand, price, cost, popularity, return rate)
    used_names: set[str] = set()
    for cid, parent_name, parent_code, adjectives, (_leaf, code, count, popularity, ret_rate, brands, nouns) in leaves:
        for n in range(1, count + 1):
            noun, lo, hi = rng.choice(nouns)
            brand = rng.choice(brands)
            name = ""
            for _attempt in range(20):
                adjective = rng.choice(adjectives)
                if parent_name == "Electronics":
                    name = f"{brand} {noun} {adjective} {rng.choice([2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 14, 15])}"
                else:
                    name = f"{brand} {adjective} {noun}"
                if name not in used_names:
                    break
            else:
                name = f"{name} {n}"
            used_names.add(name)
            price = _price(rng, lo, hi)
            cost_ratio = rng.uniform(0.62, 0.82) if parent_name == "Electronics" else rng.uniform(0.35, 0.62)
            cost = max(0.01, _money(price * cost_ratio))
            pop = popularity * rng.lognormvariate(0, 0.8) * (40 / price) ** 0.45
            rr = min(0.4, 0.82 * ret_rate * rng.lognormvariate(0, 0.45))
            r = rng.random()
            if r < 0.72:
                launch = start_ord - rng.randint(30, 2200)
            else:
                launch = start_ord + int((span_days - 45) * rng.random())
            raw_products.append((launch, f"{parent_code}-{code}-{n:05d}", name, cid, brand, price, cost, pop, rr,
                                 parent_name))
    raw_products.sort(key=lambda p: (p[0], p[1]))
    products = []
    prod_launch, prod_price, prod_return, prod_parent = [], [], [], []
    prod_weights = []
    for pid, (launch, sku, name, cid, brand, price, cost, pop, rr, parent_name) in enumerate(raw_products, start=1):
        old = end_ord - launch > 500
        active = 0 if old and rng.random() < 0.1 else 1
        products.append((pid, sku, name, cid, brand, price, cost, date.fromordinal(launch).isoformat(), active))
        prod_launch.append(launch)
        prod_price.append(price)
        prod_return.append(rr)
        prod_parent.append(parent_name)
        prod_weights.append(pop)
    prod_cum = list(accumulate(prod_weights))

    # ---- customers --------------------------------------------------------------------------------------------
    company_domains = {}
    for name in country_names:
        fake = fakers[name]
        pool = []
        for _ in range(60):
            slug = _slug(fake.company().split(" ")[0].split(",")[0])[:14] or "firma"
            tld = {"United States": "com", "United Kingdom": "co.uk", "Germany": "de", "France": "fr",
                   "Netherlands": "nl", "Spain": "es", "Italy": "it", "Indonesia": "co.id"}[name]
            pool.append(f"{slug}.{tld}")
        company_domains[name] = pool

    weights_country = [COUNTRIES[c]["weight"] for c in country_names]
    seg_names = [s[0] for s in SEGMENTS]
    seg_weights = [s[1] for s in SEGMENTS]
    seg_factor = {s[0]: s[2] for s in SEGMENTS}
    raw_customers = []
    used_emails: set[str] = set()
    for _ in range(N_CUSTOMERS):
        country = _pick_weighted(rng, country_names, weights_country)
        spec = COUNTRIES[country]
        fake = fakers[country]
        g = rng.random()
        gender = "F" if g < 0.505 else ("M" if g < 0.99 else "X")
        female = gender == "F" or (gender == "X" and rng.random() < 0.5)
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        segment = _pick_weighted(rng, seg_names, seg_weights)
        city = _pick_weighted(rng, [c for c, _ in spec["cities"]], [w for _, w in spec["cities"]])
        if rng.random() < 0.33:
            signup = start_ord - rng.randint(1, 1460)
        else:
            signup = start_ord + int((span_days - 1) * rng.random() ** 0.85)
        age = min(84, max(18, rng.gauss(41, 13)))
        birth = date.fromordinal(signup - int(age * 365.25) - rng.randint(0, 364))
        f, la = _slug(first) or "user", _slug(last) or "mail"
        if segment == "Consumer":
            domain = _pick_weighted(rng, [d for d, _ in spec["domains"]], [w for _, w in spec["domains"]])
            local = rng.choice([f"{f}.{la}", f"{f}{la}", f"{f[0]}.{la}", f"{f}_{la}", f"{f}.{la}{birth.year % 100:02d}",
                                f"{f}{rng.randint(1, 99)}", f"{la}.{f}"])
        else:
            domain = rng.choice(company_domains[country])
            local = rng.choice([f"{f}.{la}", f"{f[0]}.{la}", f"{f[0]}{la}"])
        email, n = f"{local}@{domain}", 1
        while email in used_emails:
            n += 1
            email = f"{local}{n}@{domain}"
        used_emails.add(email)
        weight = min(rng.paretovariate(1.25), 80.0) * seg_factor[segment]
        churn = signup + rng.randint(60, 1100) if rng.random() < 0.28 else 10 ** 9
        raw_customers.append((signup, first, last, email, _phone(rng, country), birth.isoformat(), gender,
                              fake.street_address().replace("\n", ", "), city, fake.postcode(), country, segment,
                              weight, churn))
    raw_customers.sort(key=lambda c: c[0])  # ids in signup order, like an auto-increment key
    cust_signup, cust_weight, cust_churn, cust_country, cust_store, cust_local, cust_segment = [], [], [], [], [], [], []
    for c in raw_customers:
        signup, *_rest = c
        country, city, segment = c[10], c[8], c[11]
        cust_signup.append(signup)
        cust_weight.append(c[12])
        cust_churn.append(c[13])
        cust_country.append(country)
        local_stores = store_by_city.get((country, city))
        cust_local.append(bool(local_stores))
        cust_store.append(rng.choice(local_stores) if local_stores else flagship[country])
        cust_segment.append(segment)
    cust_cum = list(accumulate(cust_weight))
    last_order = [0] * N_CUSTOMERS

    # ---- daily order counts -------------------------------------------------------------------------------------
    bf = {y: _black_friday(y).toordinal() for y in range(start.year, end.year + 1)}
    weights = []
    for i in range(span_days):
        d = date.fromordinal(start_ord + i)
        w = (1 + YEARLY_GROWTH) ** (i / 365.25) * MONTH_FACTOR[d.month - 1] * WEEKDAY_FACTOR[d.weekday()]
        o = d.toordinal() - bf[d.year]
        if 0 <= o <= 3:  # Black Friday weekend .. Cyber Monday
            w *= (2.6, 1.8, 1.6, 2.2)[o]
        elif d.month == 12 and d.day in (24, 25, 26, 31):
            w *= {24: 0.7, 25: 0.35, 26: 0.9, 31: 0.6}[d.day]
        elif d.month == 1 and d.day == 1:
            w *= 0.4
        weights.append(w * rng.lognormvariate(0, 0.07))
    total_w = sum(weights)
    expected = [orders * w / total_w for w in weights]
    counts = [int(e) for e in expected]
    short = orders - sum(counts)
    for i in sorted(range(span_days), key=lambda i: (counts[i] - expected[i], i))[:short]:
        counts[i] += 1

    # ---- orders, items, payments, returns ----------------------------------------------------------------------
    order_rows: list[tuple] = []
    item_rows: list[tuple] = []
    payment_rows: list[tuple] = []
    return_rows: list[tuple] = []
    online_cum = list(accumulate(ONLINE_HOURS))
    store_cum = list(accumulate(STORE_HOURS))
    n_items_choices = [1, 2, 3, 4, 5, 6, 7, 8]
    n_items_cum = list(accumulate([44, 26, 14, 8, 4, 2, 1, 1]))
    discount_levels = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3]
    reason_weights = {p: list(accumulate(RETURN_REASON_WEIGHTS.get(p, RETURN_REASON_DEFAULT)))
                      for p, *_ in CATEGORY_TREE}
    rand = rng.random
    randint = rng.randint
    bl = bisect.bisect_left
    br = bisect.bisect_right
    order_id = item_id = payment_id = return_id = 0

    for day_idx, n_orders in enumerate(counts):
        if not n_orders:
            continue
        d_ord = start_ord + day_idx
        d = date.fromordinal(d_ord)
        d_iso = d.isoformat()
        age = end_ord - d_ord
        t = day_idx / span_days
        p_mobile = 0.17 + 0.12 * t
        p_store = 0.36 - 0.08 * t
        stores_closed = d.month == 12 and d.day == 25 or d.month == 1 and d.day == 1
        sunday = d.weekday() == 6
        kc = bl(cust_signup, d_ord)  # customers who signed up before this day
        kp = bl(prod_launch, d_ord)  # products launched before this day
        if kc == 0 or kp == 0:
            continue
        c_total, p_total = cust_cum[kc - 1], prod_cum[kp - 1]
        promo = (bf[d.year] - 3 <= d_ord <= bf[d.year] + 4) or (d.month == 1 and d.day <= 15) or (
            d.month == 7 and d.day <= 10)
        p_discount = 0.55 if promo else 0.18
        day_orders = []
        for _ in range(n_orders):
            for _try in range(4):
                ci = br(cust_cum, rand() * c_total)
                if ci >= kc:
                    ci = kc - 1
                if cust_churn[ci] > d_ord:
                    break
            country = cust_country[ci]
            segment = cust_segment[ci]
            r = rand()
            store_share = p_store if cust_local[ci] else p_store * 0.3
            if r < store_share and not stores_closed and not (sunday and country == "Germany"):
                channel = "in_store"
                sid = cust_store[ci]
                if store_info[sid - 1][2] >= d_ord:
                    sid = flagship[country]
                k = bl(seller_hired[sid - 1], d_ord + 1)
                employee = seller_ids[sid - 1][rng.randrange(k)] if k else seller_ids[sid - 1][0]
                hour = br(store_cum, rand() * store_cum[-1])
            else:
                channel = "mobile" if r > 1 - p_mobile else "online"
                sid = employee = None
                hour = br(online_cum, rand() * online_cum[-1])
            secs = hour * 3600 + randint(0, 3599)
            n_lines = n_items_choices[br(n_items_cum, rand() * n_items_cum[-1])]
            if n_lines > kp:
                n_lines = kp
            chosen: list[int] = []
            for _ in range(n_lines):
                for _try in range(5):
                    pi = br(prod_cum, rand() * p_total)
                    if pi >= kp:
                        pi = kp - 1
                    if pi not in chosen:
                        chosen.append(pi)
                        break
            lines = []
            for pi in chosen:
                price = prod_price[pi]
                if price < 15:
                    q = (1, 1, 1, 1, 2, 2, 2, 3, 4, 6)[randint(0, 9)]
                elif price < 60:
                    q = 2 if rand() < 0.18 else 1
                else:
                    q = 2 if rand() < 0.05 else 1
                if segment == "Corporate" and price < 200 and rand() < 0.3:
                    q *= (2, 3, 5, 10)[randint(0, 3)]
                disc = discount_levels[randint(0, 5 if promo else 3)] if rand() < p_discount else 0.0
                lines.append((pi, q, price, disc))
            day_orders.append((secs, ci, channel, sid, employee, lines))
        day_orders.sort(key=lambda o: o[0])

        for secs, ci, channel, sid, employee, lines in day_orders:
            order_id += 1
            order_dt = datetime(d.year, d.month, d.day, secs // 3600, secs % 3600 // 60, secs % 60)
            order_ts = f"{d_iso} {secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
            country = cust_country[ci]
            subtotal = 0.0
            first_item = item_id + 1
            line_amounts = []
            for pi, q, price, disc in lines:
                item_id += 1
                item_rows.append((item_id, order_id, pi + 1, q, price, disc))
                amount = q * price * (1 - disc)
                line_amounts.append(amount)
                subtotal += amount
            # status
            if channel == "in_store":
                status = "cancelled" if rand() < 0.004 else "completed"
                shipping = 0.0
            else:
                r = rand()
                if r < 0.035:
                    status = "cancelled"
                elif age <= 1:
                    status = "pending" if r < 0.6 else "shipped"
                elif age <= 5:
                    status = "shipped" if r < 0.6 else "completed"
                elif age <= 10:
                    status = "shipped" if r < 0.12 else "completed"
                else:
                    status = "completed"
                if subtotal >= 50:
                    shipping = 9.99 if rand() < 0.05 else 0.0
                else:
                    shipping = COUNTRIES[country]["fee"]
            total = _money(subtotal + shipping)
            if status != "cancelled" and d_ord > last_order[ci]:
                last_order[ci] = d_ord

            # returns (only delivered orders)
            if status == "completed":
                delivered = order_dt if channel == "in_store" else order_dt + timedelta(days=randint(2, 5))
                in_store_factor = 0.6 if channel == "in_store" else 1.15
                n_returned = 0
                for j, line in enumerate(lines):
                    pi = line[0]
                    if rand() < prod_return[pi] * in_store_factor:
                        ret_dt = delivered + timedelta(days=randint(1, 28), seconds=randint(0, 36000))
                        if ret_dt > end_dt:
                            continue
                        cum = reason_weights[prod_parent[pi]]
                        reason = RETURN_REASONS[br(cum, rand() * cum[-1])]
                        refund = line_amounts[j]
                        if reason in ("Changed mind", "Found a better price") and rand() < 0.25:
                            refund *= 0.9  # restocking fee
                        return_id += 1
                        n_returned += 1
                        return_rows.append((return_id, first_item + j, ret_dt.isoformat(sep=" "), reason,
                                            _money(refund)))
                if n_returned == len(lines) and lines:
                    status = "returned"
            order_rows.append((order_id, ci + 1, sid, employee, order_ts, status, channel, shipping, total))

            # payments (cancelled orders: none)
            if status == "cancelled":
                continue
            r = rand()
            if channel == "in_store":
                method = "credit_card" if r < 0.58 else ("cash" if r < 0.93 else "gift_card")
            elif channel == "mobile":
                method = "credit_card" if r < 0.5 else ("paypal" if r < 0.95 else "gift_card")
            else:
                bt = 0.22 if country in ("Germany", "Netherlands") else 0.06
                method = ("credit_card" if r < 0.62 - bt else "paypal" if r < 0.95 - bt else
                          "bank_transfer" if r < 0.95 else "gift_card")
            pay_status = "refunded" if status == "returned" else "completed"
            parts = []
            if method != "gift_card" and total > 40 and rand() < 0.04:
                gift = float(rng.choice([10, 25, 50]))
                if gift < total - 1:
                    parts.append(("gift_card", gift))
                    parts.append((method, _money(total - gift)))
            if not parts:
                parts.append((method, total))
            for m, amount in parts:
                payment_id += 1
                if status == "pending":
                    paid = None
                    p_status = "pending"
                else:
                    lag = timedelta(days=randint(1, 2), seconds=randint(0, 30000)) if m == "bank_transfer" else \
                        timedelta(seconds=randint(5, 180))
                    paid_dt = order_dt + lag
                    if paid_dt > end_dt:
                        paid_dt = end_dt
                    paid = paid_dt.isoformat(sep=" ")
                    p_status = pay_status
                card = _digits(rng, 4) if m == "credit_card" else None
                payment_rows.append((payment_id, order_id, m, amount, paid, p_status, card))

    customers = []
    recent = end_ord - 365
    for cid, c in enumerate(raw_customers, start=1):
        signup, first, last, email, phone, birth, gender, street, city, postal, country, segment, _w, churn = c
        churned = churn <= end_ord and last_order[cid - 1] < end_ord - 90
        active = 0 if churned or (last_order[cid - 1] < recent and signup < recent - 180 and rand() < 0.5) else 1
        customers.append((cid, first, last, email, phone, birth, gender, street, city, postal, country,
                          region_id[country], segment, date.fromordinal(signup).isoformat(), active))

    return {
        "regions": regions, "customers": customers, "stores": stores, "employees": employees,
        "categories": categories, "products": products, "orders": order_rows, "order_items": item_rows,
        "payments": payment_rows, "returns": return_rows,
    }
