using Distill.Shared.Data;
using Distill.Shared.Tests.Tokenization;

namespace Distill.Shared.Tests.Corpus;

public class BookCorpusTests
{
    private static readonly BookCorpus Austen = BookCorpus.Load(TestPaths.Austen);

    [Fact]
    public void Every_chapter_of_the_six_novels_is_found()
    {
        var perBook = Austen.Chapters.Where(c => c.Number > 0).GroupBy(c => c.Book).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(55, perBook["emma"]);
        Assert.Equal(48, perBook["mansfieldpark"]);
        Assert.Equal(31, perBook["northangerabbey"]);
        Assert.Equal(24, perBook["persuasion"]);
        Assert.Equal(61, perBook["prideprejudice"]);
        Assert.Equal(50, perBook["sensesensibility"]);
    }

    [Fact]
    public void Splits_are_disjoint_cover_the_whole_text_and_have_the_planned_sizes()
    {
        long corpusLetters = TestPaths.AustenTexts().Sum(t => t.Count(char.IsLetter));
        long splitLetters = Enum.GetValues<CorpusSplit>().Sum(s => Austen.Texts(s).Sum(t => (long)t.Count(char.IsLetter)));
        Assert.Equal(corpusLetters, splitLetters);

        int chapters = Austen.Chapters.Count(c => c.Number > 0);
        int validation = Austen.Chapters.Count(c => c.Split == CorpusSplit.Validation);
        int test = Austen.Chapters.Count(c => c.Split == CorpusSplit.Test);
        Assert.Equal((chapters + BookCorpus.SplitPeriod - 1 - BookCorpus.ValidationSlot) / BookCorpus.SplitPeriod, validation);
        Assert.Equal((chapters + BookCorpus.SplitPeriod - 1 - BookCorpus.TestSlot) / BookCorpus.SplitPeriod, test);
        Assert.Equal(Austen.Chapters.Count, Austen.Chapters.Select(c => (c.Book, c.Number)).Distinct().Count());
    }

    [Fact]
    public void Split_is_the_same_on_every_load_and_front_matter_is_train()
    {
        var again = BookCorpus.Load(TestPaths.Austen);
        Assert.Equal(Austen.Chapters.Select(c => (c.Book, c.Number, c.Split)), again.Chapters.Select(c => (c.Book, c.Number, c.Split)));
        Assert.All(Austen.Chapters.Where(c => c.Number == 0), c => Assert.Equal(CorpusSplit.Train, c.Split));
        Assert.StartsWith("CHAPTER", Austen.Chapters.First(c => c.Split == CorpusSplit.Validation).Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Missing_or_empty_folders_are_refused()
    {
        Assert.Throws<DirectoryNotFoundException>(() => BookCorpus.Load("/nonexistent-distill-corpus"));
        string empty = TestPaths.NewTempFolder();
        try { Assert.Throws<InvalidDataException>(() => BookCorpus.Load(empty)); }
        finally { Directory.Delete(empty); }
    }
}
