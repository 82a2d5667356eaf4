"""The commonest words of each Latin-script language in customers' messages.

Derived once (2026-12-07) from data/nlu/<lang>/ without the off-topic files:
each language's most frequent words (diacritics stripped, one count per
message) that are at least three times rarer in the other languages. Edit by
hand; a new language adds its list. Slovak words count as Czech. Words every
language's customers use ("hi", "hey", "ok", "no") are left out: they say nothing.
"""

_EN = """
the my you is it for order can how return in me on this not please that what and of with
from delivery want are back have your cancel where need like there get when send parcel
or be refund an now one pls thanks still good at pay could address if don money wrong
invoice days will email person ordered thank all human but so any courier time much
hello yes help long just does shipping points number bye has got real change take code
returned stop today right would let too been card about instead items sent many chat yet
out free up support polish last possible work day talk returns after box english already
week discount size write who answer morning phone we service someone wondering poshta
mind something know poland different forget whats paid again bought jacket doesn them
same exchange before customer sale here two account dont ukrainian speak dear purchase
came am whether tracking see should package question tell boots shop evening off czechia
company cost check its team shoes opened payment locker thats accept received lol next
never later sir ago yesterday anymore changed give new live open ship did sending fit
dress keep delivered transfer call only think use item madam stuff arrive really then
nothing leave another big cash going missing consultant available sure deliver loyalty
club some shipped weeks way lamp even bank receipt everything arrived very reply correct
come language bonus placed sorry pick
"""

_PL = """
nie czy jest sie zamowienie chce zwrot moge juz ile po kiedy zamowienia prosze paczka
dzieki gdzie adres dziekuje zwrocic dzien mnie mozna numer jeszcze jestes pieniadze jaki
zwrotu potrzebuje obslugi witam macie dalej kurier moja paczke dostawy czesc teraz buty
hej dostawa oddac zrobic anulowac ja zly anulujcie dziala tym klienta punkty tylko przy
dla pisze bardzo wszystko zmienic poprosze tego pieniedzy ktos moj przez towar raz botem
konsultanta trzeba fakture inny wymienic dostawe bedzie nr czlowiekiem zaplacic zl
jestem zastanawiam bo wieczor dzis byc paczki zamiast odpowiedz faktury panstwo mozecie
temu ogole odeslac zamowieniu odpowiedzi kosztuje karta platnosc znowu wysylka czlowieka
polsku jakie te rzeczy kogos czlowiek jakis kims angielsku dostac przesylka kurtke
wczoraj zeby rozmawiac konsultantem niewazne polski zamowilam musze przyszla zamawialam
rozmiar paczkomatu sprawdzic pracy moze czat zgadza mojego cos kasy jesli obsluga zmiana
milego ukrainsku dwa czekam kto pa pytanie pasuje dostalam tygodniu chcialabym kuriera
przyszedl karte zanim wole platnosci widzenia darmowa przyjmujecie daj szanowni moim
tydzien maila konto dobra trwa wp jezyk wyslane dnia ktory chcialbym chyba samo
pobraniem pracownikiem wysylki zwroty zamowieniem przyjdzie sluchawki wiem przelew
szybko przyszlo sklepu wysylke sukienke zamowie rozmawiam zostawmy placic firme paczce
rezygnuje bede czechach wiedziec dostalem wiec koncie zwrotna innego kolor kase wroca
zmiencie chodzi tez sam wysylacie wyslecie rabat przelacz pomocy tygodnie przesylki
szybka zwrotem kasa produkty odbiorze godziny razie wyslijcie konsultant rozumiesz
odpowiada czesku idzie czas telefonu ktorej paragon towaru dane anuluj osoba napisz
sobote blikiem stronie przelewem tej jednak oddacie trzeci zrezygnowac dzialu
"""

_CS = """
je se jsem vratit prosim objednavku uz chci vraceni muzu den ne kde objednavka balik
penize kdy mate jde zbozi objednavky si kolik bych diky tu zruste jste potrebuju poslat
jeste nebo porad muzete cislo pres pro jsou zrusit zpatky jen doruceni dlouho ahoj
clovek vas cau moc misto fakturu vubec ted jsi jo objednala ji doprava jake muj jestli
body dekuji nekdo ano stoji zmenit boty ho kuryr som vymenit zpet nez kdyz neni byt
cesky platit prijde nechci prisla penez uplne adresa objednavce vam velikost cloveka vec
nesedi poslete neco musim tohle odpoved dobre dekuju trva bundu zdravim objednal mluvit
pisu anglicky nashle pred byla prisel poslali vsechno zdarma nakup kartou takze dostanu
tyden bude operatora hezky zaplatit zajimalo rada chtela radsi slevovy kam chcem
sledovani zasilkovny nepotrebuju kedy dnes spatne postovne vazeni jinou vratila tenisky
vratim kartu proc fakt zatim zmente nejaky muzeme chybi nemam saty zasilkovnu vracene
clovekem mejte dostat mozem plati byste zase vecer minuly krabice dobirku podpory slevy
spravne otazku dotaz muze ico pri najdu mohli tydny rad dneska platba omylem zeptat
ukrajinsky funguje firmu krabici zasilky vcera sluchatka dve celou peniaze kc doma zadam
spatna objednavala kdo platby presne nech nejake objednam vernostni vratenie stav
potrebovala pomoct dorazi hele slo bytu barva lampu spatnou jednu vydejni prace polsky
prepni berete veci tovar cekam jaky slevu nikde pondeli hned budu ucet udelat dziny
kuryra stitek zbytek rozmyslela koberec nevim dne vratite ke platila darek rozmyslel
jiny napsat zivy moji staci dakujem myslim zapomen
"""

COMMON_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_EN.split()),
    "pl": frozenset(_PL.split()),
    "cs": frozenset(_CS.split()),
}
