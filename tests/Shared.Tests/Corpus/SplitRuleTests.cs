using Distill.Shared.Data;

namespace Distill.Shared.Tests.Corpus;

/// <summary>The split of documents: disjoint, complete, deterministic, near its fractions; and the cut of few documents.</summary>
public sealed class SplitRuleTests : IDisposable
{
    private readonly CorpusFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string ThousandDocuments() =>
        _folder.Write("docs.jsonl", string.Concat(Enumerable.Range(0, 1000).Select(i => $"{{\"text\": \"document {i}\"}}\n")));

    [Fact]
    public void Documents_split_whole_disjoint_complete_and_the_same_every_time()
    {
        CorpusReader corpus = CorpusReader.Open(ThousandDocuments(), SplitFractions.Default);
        SplitText[] first = corpus.Read().ToArray();
        SplitText[] second = CorpusReader.Open(corpus.Path, SplitFractions.Default).Read().ToArray();

        Assert.False(corpus.CutsDocuments);
        Assert.Equal(first, second);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"document {i}"), first.Select(t => t.Text));
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => DocumentSplitRule.SplitOf(i, SplitFractions.Default)), first.Select(t => t.Split));
        Assert.InRange(first.Count(t => t.Split == CorpusSplit.Validation), 48, 52);
        Assert.InRange(first.Count(t => t.Split == CorpusSplit.Test), 48, 52);
    }

    [Fact]
    public void Larger_fractions_hold_out_more_documents_and_every_twenty_documents_hold_one_out()
    {
        var fractions = new SplitFractions(0.2, 0.1);
        CorpusSplit[] splits = Enumerable.Range(0, 1000).Select(i => DocumentSplitRule.SplitOf(i, fractions)).ToArray();
        Assert.InRange(splits.Count(s => s == CorpusSplit.Validation), 198, 202);
        Assert.InRange(splits.Count(s => s == CorpusSplit.Test), 98, 102);

        CorpusSplit[] defaults = Enumerable.Range(0, 1000).Select(i => DocumentSplitRule.SplitOf(i, SplitFractions.Default)).ToArray();
        for (int start = 0; start + 20 <= 1000; start++)
            Assert.Contains(defaults.Skip(start).Take(21), s => s != CorpusSplit.Train);
    }

    [Fact]
    public void Too_few_documents_are_each_cut_at_line_boundaries_by_fraction()
    {
        string lines = string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i:D2}\n"));
        _folder.Write("one.txt", lines);

        CorpusReader corpus = CorpusReader.Open(_folder.Root, SplitFractions.Default);

        Assert.True(corpus.CutsDocuments);
        Assert.Equal(string.Concat(Enumerable.Range(0, 90).Select(i => $"line {i:D2}\n")).Trim(), Assert.Single(corpus.Texts(CorpusSplit.Train)));
        Assert.Equal(string.Concat(Enumerable.Range(90, 5).Select(i => $"line {i:D2}\n")).Trim(), Assert.Single(corpus.Texts(CorpusSplit.Validation)));
        Assert.Equal(string.Concat(Enumerable.Range(95, 5).Select(i => $"line {i:D2}\n")).Trim(), Assert.Single(corpus.Texts(CorpusSplit.Test)));
    }

    [Fact]
    public void The_document_rule_is_used_from_the_first_count_that_fills_every_split()
    {
        int needed = Enumerable.Range(1, 100).First(n => DocumentSplitRule.FillsEverySplit(n, SplitFractions.Default));
        Assert.Equal(13, needed);
        Assert.True(CorpusReader.Open(_folder.Write("12.jsonl", string.Concat(Enumerable.Repeat("{\"text\": \"x\"}\n", 12))), SplitFractions.Default).CutsDocuments);
        Assert.False(CorpusReader.Open(_folder.Write("13.jsonl", string.Concat(Enumerable.Repeat("{\"text\": \"x\"}\n", 13))), SplitFractions.Default).CutsDocuments);
    }
}
