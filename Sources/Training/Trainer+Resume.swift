extension Trainer {
    /// Resumes the run saved in `contents` on `text` (encoded with the checkpoint's tokenizer:
    /// a character outside it is an error), with gradients from `source`.
    public init(resuming contents: TrainingCheckpoint.Contents<Model>, text: String, source: any GradientSource<Model>)
        throws(TrainingError)
    {
        let corpus = try Corpus(text: text, tokenizer: contents.tokenizer)
        try self.init(model: contents.model, corpus: corpus, configuration: contents.configuration, source: source,
                      optimizer: contents.optimizer, history: contents.history)
    }
}
