// The new-project form: the slug follows the name (as Django's slugify makes it) until
// someone edits the slug itself.

const name = document.getElementById("id_name");
const slug = document.getElementById("id_slug");

function slugify(text) {
  return text
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^\w\s-]/g, "")
    .replace(/[-\s]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "")
    .slice(0, Number(slug.maxLength) > 0 ? slug.maxLength : 64)
    .replace(/-+$/, "");
}

if (name && slug) {
  let followsName = slug.value === "" || slug.value === slugify(name.value);
  name.addEventListener("input", () => {
    if (followsName) slug.value = slugify(name.value);
  });
  slug.addEventListener("input", () => {
    followsName = slug.value === "";
  });
}
