using System.CommandLine;
using System.Diagnostics;
using Distill.Shared.Data;
using Distill.Shared.Tokenization;

namespace Distill.StudentTrainer.Cli;

/// <summary><c>train-tokenizer</c>: learns a byte-level BPE on the train split and writes vocab.json + merges.txt.</summary>
public static class TrainTokenizerCommand
{
    public static Command Create()
    {
        var corpus = new CorpusCliOptions();
        Option<int> vocabSize = new("--vocab-size") { Description = "Vocabulary size including <|endoftext|>", DefaultValueFactory = _ => 4096 };
        Option<string> output = new("--out") { Description = "Folder to write vocab.json and merges.txt to", Required = true };
        var command = new Command("train-tokenizer", "Train a byte-level BPE tokenizer (GPT-2 format) on the train split");
        foreach (Option option in new Option[] { corpus.Data, corpus.ValidationFraction, corpus.TestFraction })
            command.Options.Add(option);
        command.Options.Add(vocabSize);
        command.Options.Add(output);
        command.SetAction(result =>
        {
            var texts = CorpusReader.Open(corpus.Path(result), corpus.Options(result).Fractions);
            var clock = Stopwatch.StartNew();
            BpeVocabulary vocabulary = ByteLevelBpeTrainer.Train(
                texts.Texts(CorpusSplit.Train), new ByteLevelBpeTrainerOptions(result.GetValue(vocabSize)));
            string folder = result.GetValue(output)!;
            TokenizerFiles.Write(folder, vocabulary);
            Console.WriteLine($"tokenizer: {vocabulary.Size} tokens, {vocabulary.Merges.Count} merges, " +
                              $"trained in {clock.Elapsed.TotalSeconds:F1} s → {folder}");
            return 0;
        });
        return command;
    }
}
