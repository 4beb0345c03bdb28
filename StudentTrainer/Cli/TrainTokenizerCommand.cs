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
        Option<string> data = CliOptions.Data();
        Option<int> vocabSize = new("--vocab-size") { Description = "Vocabulary size including <|endoftext|>", DefaultValueFactory = _ => 4096 };
        Option<string> output = new("--out") { Description = "Folder to write vocab.json and merges.txt to", Required = true };
        var command = new Command("train-tokenizer", "Train a byte-level BPE tokenizer (GPT-2 format) on the train split");
        command.Options.Add(data);
        command.Options.Add(vocabSize);
        command.Options.Add(output);
        command.SetAction(result =>
        {
            var corpus = BookCorpus.Load(CliOptions.RequireFolder(result.GetValue(data)!, "data"));
            var clock = Stopwatch.StartNew();
            BpeVocabulary vocabulary = ByteLevelBpeTrainer.Train(
                corpus.Texts(CorpusSplit.Train), new ByteLevelBpeTrainerOptions(result.GetValue(vocabSize)));
            string folder = result.GetValue(output)!;
            TokenizerFiles.Write(folder, vocabulary);
            Console.WriteLine($"tokenizer: {vocabulary.Size} tokens, {vocabulary.Merges.Count} merges, " +
                              $"trained in {clock.Elapsed.TotalSeconds:F1} s → {folder}");
            return 0;
        });
        return command;
    }
}
