//! Every ADF document the Markdown converter writes passes the published ADF JSON schema
//! (issue 19 item 3), and every Notion request it makes passes the simulator's block rules
//! (item 4): the corpus, the generated documents of `property.rs` (checked there) and
//! arbitrary Markdown from proptest.

use crate::common::{assert_valid_adf, assert_valid_notion, corpus};
use mcpserver::markdown::{adf::markdown_to_adf, notion::markdown_to_blocks};
use proptest::prelude::*;

#[test]
fn the_corpus_gives_valid_adf_and_notion_blocks() {
    for doc in corpus() {
        assert_valid_adf(&markdown_to_adf(&doc.markdown), &doc.name);
        assert_valid_notion(&markdown_to_blocks(&doc.markdown), &doc.name);
    }
}

#[test]
fn hand_picked_edge_cases_give_valid_adf_and_notion_blocks() {
    for md in [
        "",
        "   \n\n",
        "# \n",
        "-\n",
        "1.\n",
        "- [ ]\n",
        "- [x] done\n  - [ ] nested\n",
        "> \n",
        "> # heading in a quote\n> ---\n> | a |\n> |---|\n> | b |\n",
        "- # heading in an item\n- ---\n- > quote in an item\n",
        "| a | b |\n|---|---|\n",
        "| |\n|-|\n| |\n",
        "```\n```\n",
        "```rust\n\n```\n",
        "`code` **`bold code`** [`link code`](https://x)\n",
        "[empty]()\n",
        "[rel](/relative) <https://auto.link>\n",
        "a  \nb\\\nc\n",
        "![image](https://example.com/i.png)\n",
        "<div>html</div>\n",
        "1. a\n\n   ```\n   code\n   ```\n\n   > quote\n",
        "- a\n  - b\n    - c\n      - d\n        - e\n          - f\n",
        "***\n___\n",
        "Setext\n======\n",
        "[^1]\n\n[^1]: footnote\n",
        "~~strike~~ *em* ***both***\n",
    ] {
        assert_valid_adf(&markdown_to_adf(md), &format!("{md:?}"));
        assert_valid_notion(&markdown_to_blocks(md), &format!("{md:?}"));
    }
}

/// Markdown made of the characters and line starts that build structure.
fn markdownish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("# ".to_string()),
        Just("- ".to_string()),
        Just("- [ ] ".to_string()),
        Just("1. ".to_string()),
        Just("> ".to_string()),
        Just("```\n".to_string()),
        Just("---\n".to_string()),
        Just("| a | b |\n|---|---|\n".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("  ".to_string()),
        Just("**".to_string()),
        Just("*".to_string()),
        Just("`".to_string()),
        Just("~~".to_string()),
        Just("[x](https://e.com)".to_string()),
        Just("\\\n".to_string()),
        Just("<b>".to_string()),
        "[a-z🚀é ]{1,6}",
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn arbitrary_markdown_gives_valid_adf_and_notion_blocks(md in markdownish()) {
        assert_valid_adf(&markdown_to_adf(&md), &format!("{md:?}"));
        assert_valid_notion(&markdown_to_blocks(&md), &format!("{md:?}"));
    }
}
