package container

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"sync"
)

// validName is Docker's rule for container names.
// Compiled on first use: package init runs on every hull start.
var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })

// NewID returns a random 64-hex-digit container id. Like Docker, it never
// returns an id whose 12-digit short form is all decimal digits, so that
// a short id is never mistaken for a number.
func NewID() string {
	b := make([]byte, 32)
	for {
		if _, err := rand.Read(b); err != nil {
			panic(fmt.Sprintf("read random bytes: %v", err)) // crypto/rand never fails on Linux
		}
		id := hex.EncodeToString(b)
		if _, err := strconv.ParseUint(id[:12], 10, 64); err != nil {
			return id
		}
	}
}

// GenerateName returns a Docker-style "adjective_surname" name. retry > 0
// appends a random digit, as Docker does after a collision.
func GenerateName(retry int) string {
	for {
		name := left[randInt(len(left))] + "_" + right[randInt(len(right))]
		if name == "boring_wozniak" { // Steve Wozniak is not boring (Docker's rule)
			continue
		}
		if retry > 0 {
			name += strconv.Itoa(randInt(10))
		}
		return name
	}
}

// ValidateName checks a user-given name against Docker's pattern.
func ValidateName(name string) error {
	if !validName().MatchString(name) {
		return fmt.Errorf("invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	return nil
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(fmt.Sprintf("read random bytes: %v", err))
	}
	return int(v.Int64())
}

var left = []string{
	"admiring", "adoring", "affectionate", "agitated", "amazing", "angry",
	"awesome", "beautiful", "blissful", "bold", "boring", "brave", "busy",
	"charming", "clever", "compassionate", "competent", "condescending",
	"confident", "cool", "cranky", "crazy", "dazzling", "determined",
	"distracted", "dreamy", "eager", "ecstatic", "elastic", "elated",
	"elegant", "eloquent", "epic", "exciting", "fervent", "festive",
	"flamboyant", "focused", "friendly", "frosty", "funny", "gallant",
	"gifted", "goofy", "gracious", "great", "happy", "hardcore", "heuristic",
	"hopeful", "hungry", "infallible", "inspiring", "intelligent",
	"interesting", "jolly", "jovial", "keen", "kind", "laughing", "loving",
	"lucid", "magical", "modest", "musing", "mystifying", "naughty",
	"nervous", "nice", "nifty", "nostalgic", "objective", "optimistic",
	"peaceful", "pedantic", "pensive", "practical", "priceless", "quirky",
	"quizzical", "recursing", "relaxed", "reverent", "romantic", "sad",
	"serene", "sharp", "silly", "sleepy", "stoic", "strange", "stupefied",
	"suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled",
	"upbeat", "vibrant", "vigilant", "vigorous", "wizardly", "wonderful",
	"xenodochial", "youthful", "zealous", "zen",
}

var right = []string{
	"agnesi", "albattani", "allen", "almeida", "antonelli", "archimedes",
	"ardinghelli", "aryabhata", "austin", "babbage", "banach", "banzai",
	"bardeen", "bartik", "bassi", "beaver", "bell", "benz", "bhabha",
	"bhaskara", "black", "blackburn", "blackwell", "bohr", "booth", "borg",
	"bose", "bouman", "boyd", "brahmagupta", "brattain", "brown", "buck",
	"burnell", "cannon", "carson", "cartwright", "carver", "cerf",
	"chandrasekhar", "chaplygin", "chatelet", "chatterjee", "chaum",
	"chebyshev", "clarke", "cohen", "colden", "cori", "cray", "curie",
	"darwin", "davinci", "dewdney", "dhawan", "diffie", "dijkstra", "dirac",
	"driscoll", "dubinsky", "easley", "edison", "einstein", "elbakyan",
	"elgamal", "elion", "ellis", "engelbart", "euclid", "euler", "faraday",
	"feistel", "fermat", "fermi", "feynman", "franklin", "gagarin",
	"galileo", "galois", "ganguly", "gates", "gauss", "germain", "goldberg",
	"goldstine", "goldwasser", "golick", "goodall", "gould", "greider",
	"grothendieck", "haibt", "hamilton", "haslett", "hawking", "heisenberg",
	"hellman", "hermann", "herschel", "hertz", "heyrovsky", "hodgkin",
	"hofstadter", "hoover", "hopper", "hugle", "hypatia", "ishizaka",
	"jackson", "jang", "jemison", "jennings", "jepsen", "johnson", "joliot",
	"jones", "kalam", "kapitsa", "kare", "keldysh", "keller", "kepler",
	"khayyam", "khorana", "kilby", "kirch", "knuth", "kowalevski", "lalande",
	"lamarr", "lamport", "leakey", "leavitt", "lederberg", "lehmann",
	"lewin", "lichterman", "liskov", "lovelace", "lumiere", "mahavira",
	"margulis", "matsumoto", "maxwell", "mayer", "mccarthy", "mcclintock",
	"mclaren", "mclean", "mcnulty", "meitner", "mendel", "mendeleev",
	"meninsky", "merkle", "mestorf", "mirzakhani", "montalcini", "moore",
	"morse", "moser", "murdock", "napier", "nash", "neumann", "newton",
	"nightingale", "nobel", "noether", "northcutt", "noyce", "panini",
	"pare", "pascal", "pasteur", "payne", "perlman", "pike", "poincare",
	"poitras", "proskuriakova", "ptolemy", "raman", "ramanujan", "rhodes",
	"ride", "ritchie", "robinson", "roentgen", "rosalind", "rubin", "saha",
	"sammet", "sanderson", "satoshi", "shamir", "shannon", "shaw", "shirley",
	"shockley", "shtern", "sinoussi", "snyder", "solomon", "spence",
	"stonebraker", "sutherland", "swanson", "swartz", "swirles", "taussig",
	"tesla", "tharp", "thompson", "torvalds", "tu", "turing", "varahamihira",
	"vaughan", "villani", "visvesvaraya", "volhard", "wescoff", "wilbur",
	"wiles", "williams", "williamson", "wilson", "wing", "wozniak", "wright",
	"wu", "yalow", "yonath", "zhukovsky",
}
