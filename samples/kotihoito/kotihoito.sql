-- Kotihoito Lite 2.1 (fictional), its database as the vendor dumps it: normalised, one table per
-- thing, addresses with their history, plans whose texts are kept in parts in a table of their own,
-- authors in a staff table. Synthetic data only: identity codes use individual numbers 900-999.
-- The decisions are kept apart in a spreadsheet (paatokset.xlsx) and the home-visit entries in an XML
-- export (kaynnit.xml); both name the client only by identity code.
-- samples/kotihoito/expected.json says what a correct migration makes of every row.
SET NAMES utf8mb4;
SET time_zone = "+00:00";
DROP TABLE IF EXISTS suunnitelmateksti, suunnitelma, tyontekija, asian_jasen, asia, omainen, palvelusuhde,
  palvelualue, osoite, asiakas;

CREATE TABLE asiakas (
  asiakasnro VARCHAR(8) PRIMARY KEY, hetu CHAR(11), sukunimi VARCHAR(60), etunimet VARCHAR(60),
  alkaen DATE, turvakielto TINYINT(1) NOT NULL DEFAULT 0
) DEFAULT CHARSET=utf8mb4;
-- Every address a client has had; the current one has no end date.
CREATE TABLE osoite (
  osoite_id INT PRIMARY KEY, asiakasnro VARCHAR(8) NOT NULL, katuosoite VARCHAR(100), postinumero CHAR(5),
  toimipaikka VARCHAR(40), alkaen DATE, paattyi DATE, KEY (asiakasnro)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE palvelualue (koodi VARCHAR(4) PRIMARY KEY, nimi VARCHAR(60)) DEFAULT CHARSET=utf8mb4;
-- A client's relationship in each service area, a row per period, with its own dates.
CREATE TABLE palvelusuhde (
  asiakasnro VARCHAR(8), alue VARCHAR(4), alkoi DATE, paattyi DATE, PRIMARY KEY (asiakasnro, alue, alkoi)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE omainen (
  asiakasnro VARCHAR(8), sukunimi VARCHAR(60), etunimet VARCHAR(60), hetu CHAR(11), rooli VARCHAR(60),
  puhelin VARCHAR(20), PRIMARY KEY (asiakasnro, etunimet)
) DEFAULT CHARSET=utf8mb4;
-- Cases are numbered per year.
CREATE TABLE asia (
  vuosi SMALLINT, numero INT, nimi VARCHAR(6), tila VARCHAR(4), avattu DATE, suljettu DATE, palvelu VARCHAR(4),
  PRIMARY KEY (vuosi, numero)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE asian_jasen (
  vuosi SMALLINT, numero INT, asiakasnro VARCHAR(8), liittyi DATE, poistui DATE, PRIMARY KEY (vuosi, numero, asiakasnro)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE tyontekija (
  tyontekijanro INT PRIMARY KEY, sukunimi VARCHAR(60), etunimet VARCHAR(60), nimike VARCHAR(60)
) DEFAULT CHARSET=utf8mb4;
-- Care plans; their texts are in parts, in order, in suunnitelmateksti.
CREATE TABLE suunnitelma (
  suunnitelmanro INT PRIMARY KEY, asiakasnro VARCHAR(8), asia_vuosi SMALLINT, asia_nro INT, laadittu DATETIME,
  laatija INT, otsikko VARCHAR(100)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE suunnitelmateksti (
  suunnitelmanro INT, osa INT, teksti TEXT, PRIMARY KEY (suunnitelmanro, osa)
) DEFAULT CHARSET=utf8mb4;

INSERT INTO asiakas VALUES
  ('K1', '120338-912C', 'Virtanen', 'Aili Maria', '2015-03-01', 0),
  ('K2', '050741-9259', 'Korhonen', 'Veikko Juhani', '2016-06-15', 0),
  ('K3', '230936-931D', 'Mäkinen', 'Elli', NULL, 1),           -- no start: its earliest period's
  ('K4', '170544-948x', 'Nieminen', 'Tauno', '2018-04-01', 0),  -- lower-case check character
  ('K5', '081249-9537', 'Laine', 'Oiva', '2024-02-01', 0);      -- a client since after the cut-off

INSERT INTO osoite VALUES
  (1, 'K1', 'Kotikatu 1', '00100', 'Helsinki', '2015-03-01', '2019-12-31'),  -- a former address
  (2, 'K1', 'Uusikatu 5 A 3', '00200', 'Helsinki', '2020-01-01', NULL),
  (3, 'K2', 'Kylätie 10', '00300', 'Helsinki', '2016-06-15', NULL),
  (4, 'K3', 'Piilotie 2', '00400', 'Helsinki', '2017-09-01', NULL),         -- K3 is under non-disclosure
  (5, 'K4', 'Rantatie 7', '00500', 'Helsinki', '2018-04-01', NULL);

INSERT INTO palvelualue VALUES ('KH', 'Kotihoito'), ('PA', 'Päihdepalvelut'), ('PAX', 'Päihdepalvelut, vanha');

INSERT INTO palvelusuhde VALUES
  ('K1', 'KH', '2015-03-01', NULL),
  ('K2', 'KH', '2016-06-15', NULL),
  ('K2', 'PA', '2018-01-01', '2018-12-31'),   -- several periods in one area: history as it was
  ('K2', 'PA', '2020-03-01', '2021-06-30'),
  ('K2', 'PA', '2021-06-30', NULL),           -- begins the day the last ended (a handover), open today
  ('K2', 'PA', '2021-09-01', '2021-10-01'),   -- inside the open one: overlaps it
  ('K3', 'KH', '2017-09-01', NULL),
  ('K3', 'PAX', '2019-01-01', NULL),   -- a service area no national service task is mapped to
  ('K5', 'KH', '2024-02-01', NULL);

INSERT INTO omainen VALUES
  ('K1', 'Virtanen', 'Anna', NULL, 'tytär, lähiomainen', '0405551234'),
  ('K3', 'Mäkinen', 'Pekka', '010101-995t', 'poika', '0405559876'),
  ('K9', 'Tuntematon', 'Tiina', NULL, 'omainen', NULL);

INSERT INTO asia VALUES
  (2018, 1, 'KOTI', 'PAA', '2018-02-01', '2022-12-31', 'KH'),
  (2020, 1, 'KOTI', 'AVO', '2020-01-10', NULL, 'KH'),
  (2020, 2, 'PAIH', 'PAA', '2020-03-01', '2021-06-30', 'PA'),
  (2021, 7, 'KOTI', 'AVO', '2021-05-05', NULL, 'KH'),
  (2019, 3, 'KOTI', 'PAA', '2019-01-01', '2019-06-01', 'KH'),
  (2022, 4, 'KOTI', 'AVO', '2022-04-01', NULL, 'KH'),
  (2019, 5, 'PAIH', 'PAA', '2019-03-01', '2019-09-01', 'PA');

INSERT INTO asian_jasen VALUES
  (2018, 1, 'K1', '2018-02-01', '2022-12-31'),
  (2020, 1, 'K2', NULL, NULL),
  (2020, 2, 'K2', '2020-03-01', '2021-06-30'),
  (2021, 7, 'K3', '2021-05-05', NULL),
  (2021, 7, 'K1', '2024-02-01', NULL),   -- joined after the cut-off
  (2019, 3, 'K9', '2019-01-01', NULL),   -- a member in no table of clients
  (2022, 4, 'K4', '2022-04-01', NULL),
  (2017, 9, 'K1', '2017-01-01', NULL),   -- a case that is not in the database
  (2019, 5, 'K1', NULL, NULL);

INSERT INTO tyontekija VALUES
  (1, 'Hoitaja', 'Hanna', 'sairaanhoitaja'),
  (2, 'Ohjaaja', 'Heikki', 'sosiaaliohjaaja');

INSERT INTO suunnitelma VALUES
  (501, 'K1', 2018, 1, '2018-03-01 10:00:00', 1, 'Hoito- ja palvelusuunnitelma'),
  (502, 'K2', 2020, 1, '2020-01-25 09:15:00', 2, 'Hoito- ja palvelusuunnitelma'),
  (503, 'K3', 2021, 7, NULL, 1, 'Hoito- ja palvelusuunnitelma'),          -- no date
  (504, 'K1', NULL, NULL, '2019-06-01 12:00:00', 1, 'Suunnitelman luonnos'), -- no case
  (505, 'K2', 2020, 1, '2024-01-15 08:30:00', 2, 'Päivitetty suunnitelma');  -- after the cut-off

INSERT INTO suunnitelmateksti VALUES
  (501, 1, 'Tavoite: asiakas asuu kotonaan turvallisesti.'),
  (501, 2, 'Keinot: kotihoidon käynnit aamuin ja illoin, ateriapalvelu.'),
  (502, 1, 'Tavoite: toimintakyvyn ylläpito. Keinot: aamukäynnit.'),
  (503, 1, 'Suunnitelma, jolta puuttuu päivämäärä.'),
  (504, 1, 'Luonnos, jota ei liitetty asiaan.'),
  (505, 1, 'Tehty liittymisen jälkeen.');
