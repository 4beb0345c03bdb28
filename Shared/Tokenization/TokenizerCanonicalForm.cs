using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distill.Shared.Tokenization;

/// <summary>
/// The parts of a <c>tokenizer.json</c> that decide ids — normaliser, pre-tokenizer, model, added tokens, post-processor —
/// written as one JSON text: keys sorted, nulls and defaults left out, and settings that only move offsets or only
/// act on decoding (decoder, <c>trim_offsets</c>, ByteLevel post-processing, type ids, the pair template) dropped.
/// Two documents that tokenise alike by these rules get the same text.
/// </summary>
internal static class TokenizerCanonicalForm
{
    public static JsonObject Of(TokenizerDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var root = definition.Root;
        JsonNode? normalizer = Canonical(root["normalizer"]);
        var form = new JsonObject
        {
            ["normalizer"] = normalizer,
            ["pre_tokenizer"] = Step(root["pre_tokenizer"], postProcessor: false),
            ["model"] = Model(root["model"]!.AsObject(), definition.Added),
            ["added_tokens"] = AddedTokens(definition.Added, normalizerPresent: normalizer is not null),
            ["post_processor"] = Step(root["post_processor"], postProcessor: true),
        };
        return (JsonObject)Canonical(form)!;
    }

    private static JsonObject Model(JsonObject model, IReadOnlyList<AddedToken> added)
    {
        var form = new JsonObject();
        foreach (var (name, value) in model)
        {
            switch (name)
            {
                case "vocab" when value is JsonObject vocab: form[name] = WithoutAddedTokens(vocab, added); break;
                case "merges": form[name] = Merges(value); break;
                case "fuse_unk" or "byte_fallback" or "ignore_merges" when value is JsonValue v && v.TryGetValue(out bool b) && !b: break;
                case "continuing_subword_prefix" or "end_of_word_suffix" when value is JsonValue v && v.TryGetValue(out string? s) && s.Length == 0: break;
                default: form[name] = value?.DeepClone(); break;
            }
        }
        form["type"] ??= "BPE"; // old files name no type; the one with merges is BPE
        return form;
    }

    /// <summary>
    /// The model's vocabulary less the entries that are also added tokens with the same id: added tokens are matched
    /// before the model runs, so such an entry changes no id (GPT-2's <c>vocab.json</c> lists them, some <c>tokenizer.json</c> files do not).
    /// </summary>
    private static JsonObject WithoutAddedTokens(JsonObject vocab, IReadOnlyList<AddedToken> added)
    {
        var addedIds = added.Select(t => (t.Content, t.Id)).ToHashSet();
        var form = new JsonObject();
        foreach (var (token, id) in vocab)
        {
            if (id is JsonValue v && v.TryGetValue(out int number) && addedIds.Contains((token, number))) continue;
            form[token] = id?.DeepClone();
        }
        return form;
    }

    /// <summary>Merges as <c>["a", "b"]</c> pairs whether the file wrote <c>"a b"</c> strings or pairs.</summary>
    private static JsonArray? Merges(JsonNode? merges)
    {
        if (merges is not JsonArray list) return null;
        var pairs = new JsonArray();
        foreach (var merge in list)
        {
            if (merge is JsonValue v && v.TryGetValue(out string? text))
            {
                int space = text.IndexOf(' ', 1);
                pairs.Add(space < 0 ? new JsonArray(text) : new JsonArray(text[..space], text[(space + 1)..]));
            }
            else
            {
                pairs.Add(merge?.DeepClone());
            }
        }
        return pairs;
    }

    /// <summary>Added tokens by id; <c>normalized</c> only matters when there is a normaliser.</summary>
    private static JsonArray AddedTokens(IReadOnlyList<AddedToken> added, bool normalizerPresent)
    {
        var tokens = new JsonArray();
        foreach (var token in added.OrderBy(t => t.Id).ThenBy(t => t.Content, StringComparer.Ordinal))
        {
            tokens.Add(new JsonObject
            {
                ["id"] = token.Id, ["content"] = token.Content, ["special"] = token.Special, ["single_word"] = token.SingleWord,
                ["lstrip"] = token.LStrip, ["rstrip"] = token.RStrip, ["normalized"] = token.Normalized && normalizerPresent,
            });
        }
        return tokens;
    }

    /// <summary>A pre-tokenizer or post-processor with defaults filled and offset-only settings dropped; null when it changes no id.</summary>
    private static JsonNode? Step(JsonNode? node, bool postProcessor)
    {
        if (node is not JsonObject step) return Canonical(node);
        string? type = step["type"] is JsonValue t && t.TryGetValue(out string? s) ? s : null;
        var form = step.DeepClone().AsObject();
        switch (type)
        {
            case "Sequence":
                foreach (var list in new[] { "pretokenizers", "processors" })
                {
                    if (form[list] is not JsonArray steps) continue;
                    var kept = new JsonArray();
                    foreach (var inner in steps)
                    {
                        if (Step(inner, postProcessor) is { } kept1) kept.Add(kept1);
                    }
                    if (kept.Count == 0) return null;
                    if (kept.Count == 1) return kept[0]!.DeepClone();
                    form[list] = kept;
                }
                break;
            case "ByteLevel" when postProcessor: // only trims offsets
                return null;
            case "ByteLevel":
                form.Remove("trim_offsets");
                form["add_prefix_space"] ??= true;
                form["use_regex"] ??= true;
                break;
            case "Metaspace":
                form.Remove("str_rep");
                if (form["prepend_scheme"] is null && form["add_prefix_space"] is JsonValue a && a.TryGetValue(out bool prefix))
                    form["prepend_scheme"] = prefix ? "always" : "never";
                form.Remove("add_prefix_space");
                form["prepend_scheme"] ??= "always";
                form["split"] ??= true;
                break;
            case "TemplateProcessing":
                form.Remove("pair");
                if (form["single"] is JsonArray single)
                {
                    foreach (var piece in single)
                    {
                        foreach (var (_, inner) in piece!.AsObject()) (inner as JsonObject)?.Remove("type_id");
                    }
                }
                break;
            case "RobertaProcessing" or "BertProcessing":
                form.Remove("trim_offsets");
                form.Remove("add_prefix_space");
                break;
        }
        return Canonical(form);
    }

    /// <summary>A copy with object keys sorted ordinally and null members left out.</summary>
    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => new JsonObject(o.Where(p => p.Value is not null && p.Value.GetValueKind() != JsonValueKind.Null)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Canonical).ToArray()),
        _ => node.GetValueKind() == JsonValueKind.Null ? null : node.DeepClone(),
    };
}
