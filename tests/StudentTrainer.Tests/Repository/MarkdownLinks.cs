using System.Text;
using System.Text.RegularExpressions;

namespace Distill.StudentTrainer.Tests.Repository;

/// <summary>
/// The relative links of a markdown file and the anchors its headings get on GitHub, outside code blocks and code
/// spans. A link is (line, target), the target as written: <c>path</c>, <c>path#anchor</c> or <c>#anchor</c>.
/// </summary>
internal static partial class MarkdownLinks
{
    public static IReadOnlyList<(int Line, string Target)> RelativeLinks(string markdown)
    {
        var links = new List<(int, string)>();
        foreach ((int line, string text) in ProseLines(markdown))
        {
            foreach (Match link in LinkTarget().Matches(CodeSpan().Replace(text, "")))
            {
                string target = link.Groups["target"].Value;
                if (!Uri.TryCreate(target, UriKind.Absolute, out Uri? uri) || uri.IsFile) links.Add((line, target));
            }
        }
        return links;
    }

    /// <summary>GitHub's anchor of each heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((_, string text) in ProseLines(markdown))
        {
            Match heading = Heading().Match(text);
            if (!heading.Success) continue;
            string slug = Slug(heading.Groups["title"].Value);
            int repeats = seen.GetValueOrDefault(slug);
            seen[slug] = repeats + 1;
            anchors.Add(repeats == 0 ? slug : $"{slug}-{repeats}");
        }
        return anchors;
    }

    private static string Slug(string title)
    {
        var slug = new StringBuilder();
        foreach (char c in title.Trim().ToLowerInvariant())
        {
            if (c == ' ') slug.Append('-');
            else if (char.IsLetterOrDigit(c) || c is '-' or '_') slug.Append(c);
        }
        return slug.ToString();
    }

    /// <summary>Lines outside fenced code blocks, numbered from 1.</summary>
    private static IEnumerable<(int Line, string Text)> ProseLines(string markdown)
    {
        bool inFence = false;
        string[] lines = markdown.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal)) inFence = !inFence;
            else if (!inFence) yield return (i + 1, lines[i]);
        }
    }

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex LinkTarget();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^#{1,6}\s+(?<title>.+?)\s*#*\s*$")]
    private static partial Regex Heading();
}
