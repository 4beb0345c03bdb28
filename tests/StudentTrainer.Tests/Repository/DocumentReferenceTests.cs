using Distill.StudentTrainer.Tests.Export;

namespace Distill.StudentTrainer.Tests.Repository;

/// <summary>The design, the loss definitions and the papers' defaults live in docs/, and every reference to a document resolves.</summary>
public sealed class DocumentReferenceTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("distill-doc-refs-").FullName;

    [Fact]
    public void No_file_names_the_design_notes_that_lived_outside_the_repository()
        => AssertNone(DocumentReferences.ToOutsideDocuments(RepoRoot.Path));

    [Fact]
    public void Every_docs_path_named_in_code_or_documents_exists()
        => AssertNone(DocumentReferences.ToMissingDocsPaths(RepoRoot.Path));

    [Fact]
    public void Every_relative_markdown_link_reaches_a_file_and_heading()
        => AssertNone(DocumentReferences.BrokenMarkdownLinks(RepoRoot.Path));

    [Fact]
    public void The_docs_folder_holds_the_design_the_losses_and_the_papers()
    {
        foreach (string name in new[] { "design.md", "losses.md", "papers.md" })
            Assert.True(File.Exists(Path.Combine(RepoRoot.Path, "docs", name)), name);
    }

    [Fact]
    public void The_scans_find_each_kind_of_dangling_reference()
    {
        // The sample files say "DOCS" and "OUTSIDE" where they mean docs and an outside document's name, so that the
        // scans of this repository do not find these lines themselves.
        Directory.CreateDirectory(Path.Combine(_scratch, "docs"));
        Directory.CreateDirectory(Path.Combine(_scratch, "Tool", "bin"));
        Write("DOCS/design.md", "# Design\n\n## The step\n");
        Write("Tool/Code.cs", "// as design.md says\n// see OUTSIDE\n// DOCS/design.md and DOCS/missing.md.\n// myDOCS/none.md\n");
        Write("Tool/bin/Copy.cs", "// DOCS/also-missing.md and OUTSIDE, but build output\n");
        Write("README.md", string.Join('\n',
            "[ok](DOCS/design.md#the-step) [ok](#readme) [web](https://example.com/x)",
            "[gone](DOCS/gone.md) [no heading](DOCS/design.md#the-walk)",
            "`[code](DOCS/in-code.md)`",
            "```", "[fenced](DOCS/fenced.md)", "```",
            "# README"));

        Assert.Equal([Sample("Tool/Code.cs:2: names OUTSIDE, which is not in the repository (DOCS/ holds the design)")],
                     DocumentReferences.ToOutsideDocuments(_scratch));
        Assert.Equal([Sample("README.md:2: DOCS/gone.md does not exist"), Sample("README.md:3: DOCS/in-code.md does not exist"),
                      Sample("README.md:5: DOCS/fenced.md does not exist"), Sample("Tool/Code.cs:3: DOCS/missing.md does not exist")],
                     DocumentReferences.ToMissingDocsPaths(_scratch));
        Assert.Equal([Sample("README.md:2: link to DOCS/gone.md, no such file"), Sample("README.md:2: link to DOCS/design.md#the-walk, no such heading")],
                     DocumentReferences.BrokenMarkdownLinks(_scratch));
    }

    private void Write(string relativePath, string text) => File.WriteAllText(Path.Combine(_scratch, Sample(relativePath)), Sample(text));

    private static string Sample(string text) => text.Replace("DOCS", "docs", StringComparison.Ordinal).Replace("OUTSIDE", "PAPERS" + ".md", StringComparison.Ordinal);

    private static void AssertNone(IReadOnlyList<string> found) => Assert.True(found.Count == 0, string.Join("\n", found));

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
