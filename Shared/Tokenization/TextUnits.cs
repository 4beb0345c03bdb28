using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Distill.Shared.Tokenization;

/// <summary>
/// A text after a <c>tokenizer.json</c> normaliser, as pieces that each remember the characters of the original text
/// they came from: every code point starts as its own piece; normalisations that join or insert characters make
/// pieces that span several characters or none.
/// </summary>
internal sealed class TextUnits
{
    private List<Unit> _units;

    private TextUnits(List<Unit> units) => _units = units;

    /// <summary>A normalised piece and the characters <c>[Start, End)</c> of the original text it came from.</summary>
    public readonly record struct Unit(string Text, int Start, int End);

    public IReadOnlyList<Unit> Units => _units;

    /// <summary>The code points of <paramref name="text"/>[<paramref name="start"/>, <paramref name="end"/>), one piece each.</summary>
    public static TextUnits Of(string text, int start, int end)
    {
        var units = new List<Unit>(end - start);
        for (int i = start; i < end;)
        {
            int length = char.IsHighSurrogate(text[i]) && i + 1 < end && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            units.Add(new Unit(text.Substring(i, length), i, i + length));
            i += length;
        }
        return new TextUnits(units);
    }

    /// <summary>Applies a <c>tokenizer.json</c> normaliser (null: none).</summary>
    /// <exception cref="NotSupportedException">A normaliser type whose alignment is not modelled here.</exception>
    public void Normalize(JsonNode? normalizer)
    {
        if (normalizer is not JsonObject step) return;
        string type = TypeOf(step);
        switch (type)
        {
            case "Sequence":
                foreach (var inner in step["normalizers"] as JsonArray ?? []) Normalize(inner);
                break;
            case "NFC": Compose(NormalizationForm.FormC); break;
            case "NFD": Compose(NormalizationForm.FormD); break;
            case "NFKC": Compose(NormalizationForm.FormKC); break;
            case "NFKD": Compose(NormalizationForm.FormKD); break;
            case "Lowercase": _units = _units.ConvertAll(u => u with { Text = u.Text.ToLowerInvariant() }); break;
            case "StripAccents":
                _units = _units.ConvertAll(u => u with { Text = new string(u.Text.Where(c => !IsMark(c)).ToArray()) });
                break;
            case "Strip": Strip(Flag(step, "strip_left"), Flag(step, "strip_right")); break;
            case "Prepend": Prepend(step["prepend"]?.GetValue<string>() ?? ""); break;
            case "Replace": Replace(step); break;
            default: throw new NotSupportedException($"offsets are not supported for the normalizer '{type}'");
        }
    }

    /// <summary>Replaces every occurrence of <paramref name="from"/> by <paramref name="to"/>, as Metaspace does with spaces.</summary>
    public void ReplaceText(string from, string to) => Replace(new JsonObject { ["pattern"] = new JsonObject { ["String"] = from }, ["content"] = to });

    internal static string TypeOf(JsonObject step) => step["type"]?.GetValue<string>() ?? "";

    private static bool Flag(JsonObject step, string name) => step[name] is JsonValue v && v.TryGetValue(out bool b) && b;

    private static bool IsMark(char c) => CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark
        or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    /// <summary>Characters that join the character before them under normalisation: combining marks, Hangul medial and final jamo.</summary>
    private static bool Joins(string unit) => IsMark(unit[0]) || unit[0] is >= '\u1160' and <= '\u11FF';

    private void Compose(NormalizationForm form)
    {
        var result = new List<Unit>(_units.Count);
        for (int i = 0; i < _units.Count;)
        {
            int j = i + 1;
            while (j < _units.Count && _units[j].Text.Length > 0 && Joins(_units[j].Text)) j++;
            string group = string.Concat(_units.Skip(i).Take(j - i).Select(u => u.Text));
            string normalized = group.Normalize(form);
            if (j == i + 1 || normalized != group)
                result.Add(new Unit(normalized, _units[i].Start, _units[j - 1].End));
            else
                result.AddRange(_units.Skip(i).Take(j - i));
            i = j;
        }
        _units = result;
    }

    private void Strip(bool left, bool right)
    {
        if (left)
        {
            int first = _units.FindIndex(u => !string.IsNullOrWhiteSpace(u.Text));
            _units = first < 0 ? [] : _units[first..];
        }
        if (right)
        {
            int last = _units.FindLastIndex(u => !string.IsNullOrWhiteSpace(u.Text));
            _units = _units[..(last + 1)];
        }
    }

    private void Prepend(string prefix)
    {
        if (_units.Count == 0 || prefix.Length == 0) return;
        _units.Insert(0, new Unit(prefix, _units[0].Start, _units[0].Start));
    }

    private void Replace(JsonObject step)
    {
        string content = step["content"]?.GetValue<string>() ?? "";
        var pattern = step["pattern"] as JsonObject;
        Regex regex = pattern?["String"] is JsonValue s ? new Regex(Regex.Escape(s.GetValue<string>()), RegexOptions.CultureInvariant)
            : pattern?["Regex"] is JsonValue r ? new Regex(r.GetValue<string>(), RegexOptions.CultureInvariant)
            : throw new NotSupportedException("offsets are not supported for a Replace normalizer without a pattern");

        string text = string.Concat(_units.Select(u => u.Text));
        var unitOfChar = new int[text.Length];
        var firstCharOfUnit = new int[_units.Count];
        for (int u = 0, c = 0; u < _units.Count; u++)
        {
            firstCharOfUnit[u] = c;
            for (int k = 0; k < _units[u].Text.Length; k++) unitOfChar[c++] = u;
        }
        var result = new List<Unit>(_units.Count);
        int next = 0; // first unit not yet written
        foreach (Match match in regex.Matches(text))
        {
            if (match.Length == 0) continue;
            int first = unitOfChar[match.Index];
            int last = unitOfChar[match.Index + match.Length - 1];
            if (first < next) continue;
            result.AddRange(_units.GetRange(next, first - next));
            string joined = string.Concat(_units.GetRange(first, last - first + 1).Select(u => u.Text));
            int offset = match.Index - firstCharOfUnit[first];
            string replaced = joined[..offset] + content + joined[(offset + match.Length)..];
            result.Add(new Unit(replaced, _units[first].Start, _units[last].End));
            next = last + 1;
        }
        result.AddRange(_units.GetRange(next, _units.Count - next));
        _units = result;
    }
}
