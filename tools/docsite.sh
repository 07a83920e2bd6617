#!/usr/bin/env bash
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The collection's docsite (antsibull-docs): the guides beside the plugin and role docs.
#
#   tools/docsite.sh rst [--check]    docs/<guide>.md -> docs/docsite/rst/<guide>.rst with pandoc, for every guide
#                                     that docs/docsite/extra-docs.yml lists. --check changes nothing and fails where
#                                     a committed .rst differs from a fresh conversion (or is listed nowhere).
#   tools/docsite.sh build VENV DEST  the docsite, with VENV's antsibull-docs and Sphinx: `antsibull-docs sphinx-init`
#                                     into DEST, then its build.sh; Sphinx's warnings are errors. HTML: DEST/build/html.
#
# The Markdown guides stay the one source: the .rst files are their conversion, committed because antsibull-docs
# (and so any docsite built from the collection) reads extra docs as RST from docs/docsite/rst. The conversion
# turns the guides' links into the docsite's: another guide (foo.md#x) -> :ref: to the label of that section,
# filters.md#name and roles/<role>.md -> the plugin and role pages antsibull-docs writes, a file that is no page of
# the docsite -> its path in the collection, as text.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
docsite=$root/docs/docsite
collection=bbb.cluster_proxy

die() {
  echo "docsite: $*" >&2
  exit 1
}

# The guides, in the order of extra-docs.yml's toctrees (plain "- name" entries).
guides() {
  sed -n 's/^ *- \([A-Za-z0-9_-]*\) *$/\1/p' "$docsite/extra-docs.yml"
}

# Labels: ansible_collections.bbb.cluster_proxy.docsite.<guide> for a guide (its title) and
# ...docsite.<guide>.<anchor> for a section, <anchor> being GitHub's (and pandoc's gfm) anchor of the heading, so
# that the Markdown's links map one to one. antsibull-docs wants every label of an extra doc under that prefix.
FILTER='
local prefix = "ansible_collections.bbb.cluster_proxy.docsite."
local collection = "bbb.cluster_proxy"
local guide, guides = nil, {}

local function label(name, anchor)
  if anchor == nil or anchor == "" then return prefix .. name end
  return prefix .. name .. "." .. anchor
end

-- the text of a role reference (title <target>): no markup inside, so the characters that end it are escaped
local function title(inlines)
  return (pandoc.utils.stringify(inlines):gsub("([`<>\\])", "\\%1"))
end

-- :name:`text <target>`, or :name:`target` where the text is only the Markdown file'"'"'s name (the docsite'"'"'s own
-- title of the page, or the plugin'"'"'s name, reads better there)
local function role(name, text, target, file)
  if text == file or text:gsub("#.*", "") == file then
    return pandoc.RawInline("rst", ":" .. name .. ":`" .. target .. "`")
  end
  return pandoc.RawInline("rst", ":" .. name .. ":`" .. text .. " <" .. target .. ">`")
end

-- docs/<path> of a file relative to docs/, "../" resolved
local function collection_path(file)
  local parts = {"docs"}
  for part in file:gmatch("[^/]+") do
    if part == ".." then table.remove(parts) elseif part ~= "." then table.insert(parts, part) end
  end
  return table.concat(parts, "/")
end

local function meta(m)
  guide = pandoc.utils.stringify(m.guide)
  for name in pandoc.utils.stringify(m.guides):gmatch("[^,]+") do guides[name] = true end
end

local function header(h)
  h.identifier = h.level == 1 and label(guide) or label(guide, h.identifier)
  return h
end

local function link(l)
  local target = l.target
  if target:match("^%a[%w+.-]*:") then return nil end
  local file, anchor = target:match("^([^#]*)#?(.*)$")
  local name = file:match("^([%w_-]+)%.md$")
  local text = title(l.content)
  if file == "" then return role("ref", text, label(guide, anchor), file) end
  if name and guides[name] then return role("ref", text, label(name, anchor), file) end
  if file == "filters.md" and anchor ~= "" then
    return role("ansplugin", text, collection .. "." .. anchor .. "#filter", file)
  end
  if file == "filters.md" then
    if text == file then text = "filter plugins" end
    return role("anscollection", text, collection .. "#plugins-filter", file)
  end
  local rolename = file:match("^roles/([%w_]+)%.md$")
  if rolename then return role("ansplugin", text, collection .. "." .. rolename .. "#role", file) end
  -- no page of the docsite: the text, and where the file is in the collection
  local path = collection_path(file)
  text = pandoc.utils.stringify(l.content)
  if text == path or text == file or collection_path(text) == path then return pandoc.Code(path) end
  local out = l.content
  out:extend({pandoc.Space(), pandoc.Str("("), pandoc.Code(path), pandoc.Str(")")})
  return out
end

-- a block without a language, or in one Pygments does not know, is text: Sphinx would highlight it as the
-- docsite'"'"'s default (YAML+Jinja) and warn where it does not lex
local function code(c)
  if #c.classes == 0 or c.classes[1] == "mermaid" then c.classes = {"text"} end
  return c
end

-- a table is a list-table: pandoc writes grid tables of fixed column widths, and breaks a reference that is wider
-- than its cell in the middle; a list-table has no widths (and its diffs are a line per cell)
local function cell(blocks)
  local text = pandoc.write(pandoc.Pandoc(blocks), "rst", {wrap_text = "wrap-none"}):gsub("%s+$", "")
  local lines = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do table.insert(lines, line) end
  return lines
end

local function tbl(t)
  local simple = pandoc.utils.to_simple_table(t)
  local out = {".. list-table::"}
  local header = false
  for _, c in ipairs(simple.headers) do if #c > 0 then header = true end end
  if header then table.insert(out, "   :header-rows: 1") end
  table.insert(out, "")
  local function row(cells)
    for i, c in ipairs(cells) do
      local lines = cell(c)
      table.insert(out, (((i == 1 and "   * - " or "     - ") .. lines[1]):gsub("%s+$", "")))
      for j = 2, #lines do table.insert(out, lines[j] == "" and "" or "       " .. lines[j]) end
    end
  end
  if header then row(simple.headers) end
  for _, r in ipairs(simple.rows) do row(r) end
  -- (the writer adds no blank line after a raw block: the empty paragraph is that line)
  return {pandoc.RawBlock("rst", table.concat(out, "\n")), pandoc.Para({})}
end

-- a list item'"'"'s first line followed by a code block or a table: the writer puts no blank line between a tight
-- item'"'"'s text and the directive (docutils: "Unexpected indentation"); a paragraph ends with one
local function loosen(list)
  for _, item in ipairs(list.content) do
    for i = 1, #item - 1 do
      local nxt = item[i + 1].t
      if item[i].t == "Plain" and nxt ~= "BulletList" and nxt ~= "OrderedList" then
        item[i] = pandoc.Para(item[i].content)
      end
    end
  end
  return list
end

-- rstcheck (antsibull-docs lint-collection-docs) takes [x](y) for a Markdown link even inside a literal: a
-- literal with "](" in it is written as literals side by side, split there (the same text in the docsite)
local function literal(c)
  if not c.text:find("](", 1, true) then return nil end
  local out, rest = pandoc.List(), c.text
  local i = rest:find("](", 1, true)
  while i do
    out:insert(pandoc.Code(rest:sub(1, i)))
    rest = rest:sub(i + 1)
    i = rest:find("](", 1, true)
  end
  out:insert(pandoc.Code(rest))
  return out
end

return {
  {Meta = meta},
  {Header = header, Link = link, Code = literal, CodeBlock = code, Table = tbl},
  {BulletList = loosen, OrderedList = loosen},
}
'

convert() { # guide list-of-guides out
  local guide=$1 all=$2 out=$3
  {
    printf '..\n  Generated by tools/docsite.sh from docs/%s.md: edit that file, then run `tools/docsite.sh rst`.\n\n' "$guide"
    # The guides' code blocks are examples and excerpts (of upstream's code too), not programs: rstcheck (antsibull-docs
    # lint-collection-docs) would run the languages it knows through their checkers.
    printf '.. rstcheck: ignore-languages=%s\n\n' "bash,c,cpp,json,python,xml"
    pandoc --from=gfm --to=rst --wrap=preserve --columns=120 --lua-filter="$filter" \
      --metadata=guide:"$guide" --metadata=guides:"$all" "$root/docs/$guide.md"
  } >"$out"
}

rst() {
  local check=${1:-}
  [[ -z "$check" || "$check" == --check ]] || die "usage: $0 rst [--check]"
  command -v pandoc >/dev/null 2>&1 || die "pandoc is missing: apt-get install pandoc"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  filter=$tmp/links.lua
  printf '%s' "$FILTER" >"$filter"
  local -a names
  mapfile -t names < <(guides)
  ((${#names[@]})) || die "docs/docsite/extra-docs.yml lists no guide"
  local all
  all=$(
    IFS=,
    echo "${names[*]}"
  )
  mkdir -p "$tmp/rst"
  for guide in "${names[@]}"; do
    [[ -f "$root/docs/$guide.md" ]] || die "extra-docs.yml lists $guide, but docs/$guide.md does not exist"
    convert "$guide" "$all" "$tmp/rst/$guide.rst"
  done
  if [[ -z "$check" ]]; then
    mkdir -p "$docsite/rst"
    find "$docsite/rst" -name '*.rst' -delete
    cp "$tmp"/rst/*.rst "$docsite/rst/"
    echo "docsite: ${#names[@]} guides converted into docs/docsite/rst"
    return 0
  fi
  if ! diff -ru "$tmp/rst" "$docsite/rst" >"$tmp/diff"; then
    head -n 60 "$tmp/diff" >&2
    die "docs/docsite/rst is not the conversion of the guides ($(pandoc --version | sed -n 1p)): run tools/docsite.sh rst"
  fi
}

build() {
  [[ $# -eq 2 ]] || die "usage: $0 build VENV DEST"
  local venv dest
  venv=$(cd "$1" && pwd)
  mkdir -p "$2"
  dest=$(cd "$2" && pwd)
  [[ -x "$venv/bin/antsibull-docs" && -x "$venv/bin/sphinx-build" ]] || die "$venv has no antsibull-docs or sphinx-build"
  export PATH=$venv/bin:$PATH
  # The collection as Ansible finds it (make collection): .build/collections/ansible_collections/bbb/cluster_proxy.
  export ANSIBLE_COLLECTIONS_PATH=$root/.build/collections
  local link=$ANSIBLE_COLLECTIONS_PATH/ansible_collections/bbb/cluster_proxy
  if [[ ! -e "$link" ]]; then
    mkdir -p "$(dirname "$link")"
    ln -sfn "$root" "$link"
  fi
  # DEST is made anew (an incremental Sphinx build would not repeat the warnings of the pages it keeps).
  if [[ -n "$(ls -A "$dest")" && ! -f "$dest/antsibull-docs.cfg" ]]; then
    die "$dest is neither empty nor an earlier docsite build: not emptying it"
  fi
  find "$dest" -mindepth 1 -delete
  # Not --lenient: build.sh runs sphinx-build with -W --keep-going and conf.py sets nitpicky.
  antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$dest" \
    --project "$collection" --copyright "contributors to $collection" \
    --title "$collection documentation" --html-short-title "$collection" "$collection" >/dev/null
  cat >>"$dest/conf.py" <<EOF

# Added by tools/docsite.sh (bbb.cluster_proxy).
# No intersphinx inventory: this machine, like CI's, reaches no docs.ansible.com or docs.python.org, and an
# inventory that cannot be fetched is a warning, an error here. The references that only Ansible's docs resolve
# (antsibull-docs' templates link there) stay text; any other unresolved reference still fails the build.
intersphinx_mapping = {}
nitpick_ignore = [
    ("ref", "action_plugins"),
    ("ref", "ansible_configuration_settings"),
    ("ref", "collections_keyword"),
    ("ref", "common_return_values"),
]
# Other collections' plugins (ansible.builtin, community.general, ...): this collection's own must resolve.
nitpick_ignore_regex = [("ref", r"ansible_collections\.(?!bbb\.cluster_proxy\.).*")]

# The guides' pictures (docs/images): antsibull-docs copies only the .rst files of docs/docsite/rst.
import shutil  # noqa: E402

shutil.copytree("$root/docs/images", "$dest/rst/docsite/images", dirs_exist_ok=True)
EOF
  bash "$dest/build.sh"
  echo "docsite: $dest/build/html/index.html"
}

case "${1:-}" in
  rst) shift && rst "$@" ;;
  build) shift && build "$@" ;;
  *) die "usage: $0 rst [--check] | build VENV DEST" ;;
esac
